// The `@m2m-auth/server/clients` entry: the client registry's types, its rules, client secrets
// (RFC 6749 §2.3.1) and client public keys (private_key_jwt, RFC 7523 §2.2).

export type { AssertionJtiStore, JtiConsumption } from './clients/assertion-jti-store.js';
export {
  CLIENT_ASSERTION_ALGS,
  normalizeClientPublicKeys,
} from './clients/client-public-keys.js';
export {
  ACCESS_TOKEN_FORMATS,
  DEFAULT_TOKEN_TTL_SEC,
  MAX_CLIENT_SCOPES,
  MAX_CLIENT_SCOPES_LENGTH,
  MAX_TOKEN_TTL_SEC,
} from './clients/client-rules.js';
export type {
  ClientAssertionAlg,
  ClientCredentials,
  ClientImportOutcome,
  ClientPatch,
  ClientPublicKeys,
  ClientRecord,
  ClientSecretHash,
  ClientStore,
  CreateClientOptions,
  ImportedClient,
  NewClient,
  NewClientPublicKeys,
} from './clients/client-store.js';
export { generateClientSecret, hashClientSecret } from './clients/hash-client-secret.js';
export { verifyClientSecret } from './clients/verify-client-secret.js';
export type { AccessTokenFormat } from './tokens/token-types.js';
