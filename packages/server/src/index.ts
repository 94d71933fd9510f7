// Store, client registry and signing keys.

// CLI.
export { runCli } from './cli/main.js';
export { generateClientSecret, hashClientSecret } from './clients/hash-client-secret.js';
export { DEFAULT_TOKEN_TTL_SEC, MAX_TOKEN_TTL_SEC } from './clients/validate-client-fields.js';
export { verifyClientSecret } from './clients/verify-client-secret.js';
export { buildJwks } from './keys/build-jwks.js';
export { exportPublicKeyPem } from './keys/export-public-key-pem.js';
export { generateSigningKeyPair } from './keys/generate-signing-key-pair.js';
export { importSigningKey } from './keys/import-signing-key.js';
export type { KeyEncryptionKey } from './keys/key-encryption-key.js';
export {
  DEFAULT_PROPAGATION_SEC,
  RETIRED_KEY_MARGIN_SEC,
  retiredKeyRemoveAt,
} from './keys/key-lifecycle-timing.js';
export { readPrivateKeyPem } from './keys/read-private-key-pem.js';
export type { SigningKeyPair } from './keys/signing-key-pair.js';
export { DEFAULT_SIGNING_ALG, SIGNING_ALGS } from './keys/signing-key-pair.js';
export type { PostgresPoolOptions } from './store/internal/open-postgres.js';
export type { OpenStoreOptions } from './store/open-store.js';
export { openStore } from './store/open-store.js';
export type { StoreErrorCode } from './store/store-error.js';
export { STORE_ERROR_CODES, StoreError } from './store/store-error.js';
export type {
  ClientCredentials,
  ClientPatch,
  ClientRecord,
  ClientSecretHash,
  ClientStore,
  KeyLifecycleChange,
  KeyState,
  KeyStore,
  NewClient,
  RotateOptions,
  SigningAlg,
  SigningKeyMaterial,
  SigningKeyRecord,
  Store,
} from './store/types.js';
