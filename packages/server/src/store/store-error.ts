import { M2mAuthError } from '../errors/m2m-auth-error.js';

/**
 * Every stable code a {@link StoreError} can carry, in the order ERRORS.md lists them: the one
 * table {@link StoreErrorCode} is derived from. Callers `switch (err.code)`; messages are for people
 * and may change.
 */
export const STORE_ERROR_CODES = [
  'ERR_INVALID_DATABASE_URL',
  'ERR_DATABASE_ERROR',
  'ERR_DATABASE_NOT_FOUND',
  'ERR_MIGRATION_FAILED',
  'ERR_INVALID_KEK',
  'ERR_KEK_REQUIRED',
  'ERR_KEK_FILE_INSECURE',
  'ERR_KEK_MISMATCH',
  'ERR_KEY_DECRYPTION_FAILED',
  'ERR_INVALID_CLIENT_NAME',
  'ERR_INVALID_SCOPE',
  'ERR_SCOPES_TOO_LARGE',
  'ERR_INVALID_AUDIENCE',
  'ERR_INVALID_DURATION',
  'ERR_INVALID_TOKEN_FORMAT',
  'ERR_NOTHING_TO_UPDATE',
  'ERR_CLIENT_NAME_TAKEN',
  'ERR_CLIENT_NOT_FOUND',
  'ERR_CLIENT_REVOKED',
  'ERR_UNSUPPORTED_ALGORITHM',
  'ERR_INVALID_PRIVATE_KEY',
  'ERR_KEY_TOO_WEAK',
  'ERR_KEY_EXISTS',
  'ERR_KEY_NOT_FOUND',
  'ERR_KEY_REVOKED',
  'ERR_INVALID_KEY_STATE',
  'ERR_ACTIVE_KEY_EXISTS',
  'ERR_NO_ACTIVE_KEY',
  'ERR_ROTATION_PENDING',
  'ERR_LEASE_BUSY',
  'ERR_INVALID_PUBLIC_KEY',
  'ERR_INVALID_JWKS_URI',
  'ERR_INVALID_TRUST',
  'ERR_TRUST_EXISTS',
  'ERR_TRUST_NOT_FOUND',
  'ERR_SUBJECT_TAKEN',
  'ERR_INVALID_TOKEN_ID',
] as const;

/** A stable code of {@link StoreError}; see {@link STORE_ERROR_CODES}. */
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

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
 *   if (err instanceof StoreError && err.code === 'ERR_CLIENT_NAME_TAKEN') console.error(err.message);
 *   else throw err;
 * }
 * ```
 */
export class StoreError extends M2mAuthError<StoreErrorCode> {
  /**
   * @param code stable reason, see {@link StoreErrorCode}
   * @param message one line for people; no secrets
   * @param options `cause`: the underlying error (kept for logs, never shown to OAuth clients)
   */
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}
