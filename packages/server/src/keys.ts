// The `@m2m-auth/server/keys` entry: signing keys (RFC 7517 JWK/JWKS, RFC 7518 algorithms), their
// lifecycle and rotation, and the public key files receivers read.

export { advanceKeyLifecycle } from './keys/advance-key-lifecycle.js';
export { buildJwks } from './keys/build-jwks.js';
export { exportPublicKeyPem } from './keys/export-public-key-pem.js';
export { generateSigningKeyPair } from './keys/generate-signing-key-pair.js';
export { importSigningKey } from './keys/import-signing-key.js';
export type { KeyEncryptionKey } from './keys/key-encryption-key.js';
// The lifecycle rules as pure functions (no I/O, no timers): what the store, the rotation schedule
// and the request path's cache all decide by, for an embedder planning rotations the same way.
export {
  activeSince,
  DEFAULT_PROPAGATION_SEC,
  type DueTransitions,
  dueTransitions,
  isGuardedRotationDue,
  isPublished,
  isTransitionDue,
  type KeyTimes,
  MAX_PROPAGATION_SEC,
  nextPublishedChangeAt,
  nextTransitionAt,
  oldestNext,
  type PropagationPolicy,
  type PropagationPolicyInput,
  pendingRotationError,
  propagationPolicy,
  RETIRED_KEY_MARGIN_SEC,
  retiredKeyRemoveAt,
  scheduledRotationDue,
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
export {
  type KeyFilePublisher,
  type KeyFilePublisherLogger,
  PUBLISHED_JWKS_FILE_NAME,
  PUBLISHED_PEM_FILE_NAME,
  type PublishKeyFilesOptions,
  publishKeyFiles,
} from './keys/publish-key-files.js';
export { readPrivateKeyPem } from './keys/read-private-key-pem.js';
export {
  type KeyRotationLogger,
  type KeyRotationSchedule,
  type KeyRotationScheduleOptions,
  scheduleKeyRotation,
} from './keys/schedule-key-rotation.js';
export { SIGNING_ALGS, type SigningKeyPair } from './keys/signing-key-pair.js';
export type { SigningAlg } from './tokens/token-types.js';
