// The `@m2m-auth/server/admin` entry: the admin API's OpenAPI document, audience and scopes, and
// its operations as functions over a store (the same checks as the HTTP routes).

export {
  ADMIN_API_BASE,
  ADMIN_AUDIENCE,
  ADMIN_SCOPES,
  type AdminScope,
  buildAdminOpenApi,
} from './admin/admin-openapi.js';
export { type CreatedClient, createClient } from './admin/operations/create-client.js';
export { listClients } from './admin/operations/list-clients.js';
export { listKeys } from './admin/operations/list-keys.js';
export { type AuditReadQuery, readAudit } from './admin/operations/read-audit.js';
export { readServiceGraph } from './admin/operations/read-service-graph.js';
export { readUnusedGrants } from './admin/operations/read-unused-grants.js';
export { revokeClient } from './admin/operations/revoke-client.js';
export { revokeKey } from './admin/operations/revoke-key.js';
export { rotateClientSecret } from './admin/operations/rotate-client-secret.js';
export { rotateKeys } from './admin/operations/rotate-keys.js';
export { type ShownClient, showClient } from './admin/operations/show-client.js';
export { updateClient } from './admin/operations/update-client.js';
