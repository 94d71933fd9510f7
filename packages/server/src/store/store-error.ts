/**
 * Every stable code a {@link StoreError} can carry. Callers `switch (err.code)`; messages are for
 * people and may change. The table in ERRORS.md lists each code with its meaning.
 */
export type StoreErrorCode =
  | 'INVALID_DATABASE_URL'
  | 'DATABASE_ERROR'
  | 'DATABASE_NOT_FOUND'
  | 'MIGRATION_FAILED'
  | 'INVALID_KEK'
  | 'KEK_REQUIRED'
  | 'KEK_FILE_INSECURE'
  | 'KEK_MISMATCH'
  | 'KEY_DECRYPTION_FAILED'
  | 'INVALID_CLIENT_NAME'
  | 'INVALID_SCOPE'
  | 'SCOPES_TOO_LARGE'
  | 'INVALID_AUDIENCE'
  | 'INVALID_DURATION'
  | 'INVALID_TOKEN_FORMAT'
  | 'NOTHING_TO_UPDATE'
  | 'CLIENT_NAME_TAKEN'
  | 'CLIENT_NOT_FOUND'
  | 'CLIENT_REVOKED'
  | 'UNSUPPORTED_ALGORITHM'
  | 'INVALID_PRIVATE_KEY'
  | 'KEY_TOO_WEAK'
  | 'KEY_EXISTS'
  | 'KEY_NOT_FOUND'
  | 'KEY_REVOKED'
  | 'INVALID_KEY_STATE'
  | 'ACTIVE_KEY_EXISTS'
  | 'NO_ACTIVE_KEY'
  | 'ROTATION_PENDING'
  | 'LEASE_BUSY'
  | 'INVALID_PUBLIC_KEY'
  | 'INVALID_JWKS_URI'
  | 'INVALID_TRUST'
  | 'TRUST_EXISTS'
  | 'TRUST_NOT_FOUND'
  | 'SUBJECT_TAKEN'
  | 'INVALID_TOKEN_ID';

/** All {@link StoreErrorCode} values, in the order ERRORS.md lists them. */
export const STORE_ERROR_CODES: readonly StoreErrorCode[] = [
  'INVALID_DATABASE_URL',
  'DATABASE_ERROR',
  'DATABASE_NOT_FOUND',
  'MIGRATION_FAILED',
  'INVALID_KEK',
  'KEK_REQUIRED',
  'KEK_FILE_INSECURE',
  'KEK_MISMATCH',
  'KEY_DECRYPTION_FAILED',
  'INVALID_CLIENT_NAME',
  'INVALID_SCOPE',
  'SCOPES_TOO_LARGE',
  'INVALID_AUDIENCE',
  'INVALID_DURATION',
  'INVALID_TOKEN_FORMAT',
  'NOTHING_TO_UPDATE',
  'CLIENT_NAME_TAKEN',
  'CLIENT_NOT_FOUND',
  'CLIENT_REVOKED',
  'UNSUPPORTED_ALGORITHM',
  'INVALID_PRIVATE_KEY',
  'KEY_TOO_WEAK',
  'KEY_EXISTS',
  'KEY_NOT_FOUND',
  'KEY_REVOKED',
  'INVALID_KEY_STATE',
  'ACTIVE_KEY_EXISTS',
  'NO_ACTIVE_KEY',
  'ROTATION_PENDING',
  'LEASE_BUSY',
  'INVALID_PUBLIC_KEY',
  'INVALID_JWKS_URI',
  'INVALID_TRUST',
  'TRUST_EXISTS',
  'TRUST_NOT_FOUND',
  'SUBJECT_TAKEN',
  'INVALID_TOKEN_ID',
];

/**
 * A failure of the store, the client registry or the signing-key store, with a stable `code`.
 * The message is one line, names the offending value or reason, and never contains a secret,
 * a private key or a database password. The underlying error, if any, is in `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await store.clients.create({ name: 'ms_admin' });
 * } catch (err) {
 *   if (err instanceof StoreError && err.code === 'CLIENT_NAME_TAKEN') console.error(err.message);
 *   else throw err;
 * }
 * ```
 */
export class StoreError extends Error {
  /** Stable machine-readable reason. */
  readonly code: StoreErrorCode;

  /**
   * @param code stable reason, see {@link StoreErrorCode}
   * @param message one line for people; no secrets
   * @param options `cause`: the underlying error (kept for logs, never shown to OAuth clients)
   */
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}
