// Store, client registry and signing keys.

export {
  ADMIN_API_ERRORS,
  AdminApiError,
  type AdminApiErrorCode,
} from './admin/admin-api-error.js';
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
export { revokeClient } from './admin/operations/revoke-client.js';
export { revokeKey } from './admin/operations/revoke-key.js';
export { rotateClientSecret } from './admin/operations/rotate-client-secret.js';
export { rotateKeys } from './admin/operations/rotate-keys.js';
export { type ShownClient, showClient } from './admin/operations/show-client.js';
export { updateClient } from './admin/operations/update-client.js';
export type { OpenStoreOptions } from './app/open-store.js';
export { openStore } from './app/open-store.js';
export type { Store } from './app/store.js';
// CLI.
export type {
  AuditEvent,
  AuditEventJson,
  AuditOutcome,
  StoredAuditEvent,
} from './audit/audit-event.js';
export { auditEventToJson } from './audit/audit-event.js';
export type { AuditQuery, AuditStore } from './audit/audit-store.js';
export type {
  AuditUsage,
  AuditUsageQuery,
  IssuedUsageGroup,
  RefusedUsageGroup,
} from './audit/audit-usage.js';
export { MAX_USAGE_GROUPS } from './audit/audit-usage.js';
export type { AuditStoreOptions } from './audit/audit-writer.js';
export { DEFAULT_AUDIT_STORE_OPTIONS } from './audit/audit-writer.js';
export type {
  ServiceGraph,
  ServiceGraphEdge,
  ServiceGraphNode,
} from './audit/build-service-graph.js';
export { buildServiceGraph } from './audit/build-service-graph.js';
export type { UnusedGrants, UnusedGrantsReport } from './audit/find-unused-grants.js';
export { findUnusedGrants } from './audit/find-unused-grants.js';
export { formatServiceGraphDot } from './audit/format-service-graph-dot.js';
export { formatServiceGraphMermaid } from './audit/format-service-graph-mermaid.js';
export { serviceGraphToJson } from './audit/service-graph-to-json.js';
export { unusedGrantsToJson } from './audit/unused-grants-to-json.js';
export { runCli } from './cli/main.js';
export type { AssertionJtiStore, JtiConsumption } from './clients/assertion-jti-store.js';
export type { ClientJwksCacheOptions } from './clients/client-jwks-cache.js';
export {
  CLIENT_ASSERTION_ALGS,
  MAX_CLIENT_PUBLIC_KEYS,
  normalizeClientPublicKeys,
} from './clients/client-public-keys.js';
export type {
  ClientAssertionAlg,
  ClientCredentials,
  ClientImportOutcome,
  ClientPatch,
  ClientPublicKeys,
  ClientRecord,
  ClientSecretHash,
  ClientStore,
  ImportedClient,
  NewClient,
  NewClientPublicKeys,
} from './clients/client-store.js';
export { generateClientSecret, hashClientSecret } from './clients/hash-client-secret.js';
export {
  DEFAULT_TOKEN_TTL_SEC,
  MAX_CLIENT_SCOPES,
  MAX_CLIENT_SCOPES_LENGTH,
  MAX_TOKEN_TTL_SEC,
} from './clients/validate-client-fields.js';
export { verifyClientSecret } from './clients/verify-client-secret.js';
export type {
  AuthServerErrorCode,
  AuthServerErrorDefinition,
  OAuthErrorValue,
} from './errors/auth-server-error.js';
export { AUTH_SERVER_ERRORS, AuthServerError } from './errors/auth-server-error.js';
export type {
  ClientCredentialsGrantContext,
  ClientCredentialsGrantResult,
  TokenRequest,
  TokenRequestFacts,
  TokenResponseBody,
} from './grants/client-credentials-grant.js';
export { grantClientCredentials } from './grants/client-credentials-grant.js';
export type {
  ClientAssertionContext,
  ClientAssertionSettings,
} from './grants/verify-client-assertion.js';
export {
  ClientAssertionRefused,
  DEFAULT_CLIENT_ASSERTION_SETTINGS,
  JWT_BEARER_ASSERTION_TYPE,
  verifyClientAssertion,
} from './grants/verify-client-assertion.js';
export type { BuildServerOptions, ServerLoggerOptions } from './http/build-server.js';
export { buildServer } from './http/build-server.js';
export type { ReadinessProblem } from './http/internal/check-readiness.js';
export type { HealthProblem } from './http/routes/health-route.js';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_JWKS_MAX_AGE_SEC,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_METADATA_MAX_AGE_SEC,
  DEFAULT_POSTGRES_REVISION_CHECK_INTERVAL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './http/server-defaults.js';
export type { RunningServer, StartServerOptions } from './http/start-server.js';
export { startServer } from './http/start-server.js';
export { advanceKeyLifecycle } from './keys/advance-key-lifecycle.js';
export { buildJwks } from './keys/build-jwks.js';
export { exportPublicKeyPem } from './keys/export-public-key-pem.js';
export { generateSigningKeyPair } from './keys/generate-signing-key-pair.js';
export { importSigningKey } from './keys/import-signing-key.js';
export type { KeyEncryptionKey } from './keys/key-encryption-key.js';
export {
  DEFAULT_PROPAGATION_SEC,
  MAX_PROPAGATION_SEC,
  RETIRED_KEY_MARGIN_SEC,
  retiredKeyRemoveAt,
} from './keys/key-lifecycle.js';
export type {
  KeyLifecycleChange,
  KeyState,
  KeyStore,
  RefusedActivation,
  RotateOptions,
  SigningKeyMaterial,
  SigningKeyRecord,
} from './keys/key-store.js';
export type {
  KeyFilePublisher,
  KeyFilePublisherLogger,
  PublishKeyFilesOptions,
} from './keys/publish-key-files.js';
export {
  PUBLISHED_JWKS_FILE_NAME,
  PUBLISHED_PEM_FILE_NAME,
  publishKeyFiles,
} from './keys/publish-key-files.js';
export { readPrivateKeyPem } from './keys/read-private-key-pem.js';
export type {
  KeyRotationLogger,
  KeyRotationSchedule,
  KeyRotationScheduleOptions,
} from './keys/schedule-key-rotation.js';
export {
  DEFAULT_ROTATION_CHECK_INTERVAL_MS,
  scheduleKeyRotation,
} from './keys/schedule-key-rotation.js';
export type { SigningKeyPair } from './keys/signing-key-pair.js';
export { DEFAULT_SIGNING_ALG, SIGNING_ALGS } from './keys/signing-key-pair.js';
export type {
  AuthFailureLimitOptions,
  AuthFailureLimitRefusal,
  AuthFailureLimitScope,
} from './limits/auth-failure-limiter.js';
export { AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMITS } from './limits/auth-failure-limiter.js';
export type { ClientAuthFailureReason, ServerMetricsOptions } from './metrics/server-metrics.js';
export { SERVER_METRIC_NAMES } from './metrics/server-metrics.js';
export type {
  ImportedSecretKind,
  PassportImportEntry,
  PassportImportOptions,
  PassportImportReport,
} from './passport/import-passport-clients.js';
export { importPassportClients } from './passport/import-passport-clients.js';
export type { PassportImportErrorCode } from './passport/passport-import-error.js';
export {
  PASSPORT_IMPORT_ERROR_CODES,
  PassportImportError,
} from './passport/passport-import-error.js';
export type {
  PassportClientRow,
  PassportClients,
  PassportVersion,
} from './passport/read-passport-clients.js';
export { readPassportClients } from './passport/read-passport-clients.js';
export type { ClientFieldChange, UnlistedClient } from './provision/compute-provision-plan.js';
export { formatProvisionReport } from './provision/format-provision-report.js';
export type { Manifest, ManifestService } from './provision/parse-manifest.js';
export { parseManifest } from './provision/parse-manifest.js';
export type { ManifestProblem, ProvisionErrorCode } from './provision/provision-error.js';
export { PROVISION_ERROR_CODES, ProvisionError } from './provision/provision-error.js';
export type {
  ProvisionOptions,
  ProvisionReport,
  ReportedClient,
  SecretOutcome,
} from './provision/provision-services.js';
export { provisionServices } from './provision/provision-services.js';
export { readManifest } from './provision/read-manifest.js';
export type { ReportedFile } from './provision/write-env-files.js';
export { PUBLIC_KEY_FILE_NAME } from './provision/write-env-files.js';
export type { PostgresPoolOptions } from './store/internal/open-postgres.js';
export type { LeaseOptions, LeaseStore } from './store/lease-store.js';
export type { StoreErrorCode } from './store/store-error.js';
export { STORE_ERROR_CODES, StoreError } from './store/store-error.js';
export type {
  AccessTokenGrant,
  AccessTokenSigningKey,
  IssuedAccessToken,
} from './tokens/issue-access-token.js';
export { issueAccessToken } from './tokens/issue-access-token.js';
export { MAX_ACCESS_TOKEN_LENGTH } from './tokens/max-access-token-length.js';
export type { AccessTokenFormat, SigningAlg } from './tokens/token-types.js';
