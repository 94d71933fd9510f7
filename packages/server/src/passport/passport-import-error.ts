import { M2mAuthError } from '../errors/m2m-auth-error.js';

/**
 * Stable codes of {@link PassportImportError}, in the order ERRORS.md lists them:
 * - `ERR_SOURCE_URL_INVALID`: the `--from` URL is not `mysql://`, `mariadb://`, `postgres://`,
 *   `postgresql://` or `sqlite:<path>`.
 * - `ERR_SOURCE_UNREACHABLE`: the Laravel database cannot be opened or queried.
 * - `ERR_SOURCE_NOT_PASSPORT`: it has no `oauth_clients` table with Passport 10–12 or 13 columns.
 * - `ERR_CLIENT_NAME_INVALID`: a machine client's Passport name is not a valid m2m-auth client name.
 * - `ERR_CLIENT_SECRET_UNUSABLE`: a machine client's secret is neither plain (10–12) nor a bcrypt or
 *   argon2id hash.
 * - `ERR_MANIFEST_REFERENCE`: a manifest `passport_client` or a `--name` names no machine client.
 */
export const PASSPORT_IMPORT_ERROR_CODES = [
  'ERR_SOURCE_URL_INVALID',
  'ERR_SOURCE_UNREACHABLE',
  'ERR_SOURCE_NOT_PASSPORT',
  'ERR_CLIENT_NAME_INVALID',
  'ERR_CLIENT_SECRET_UNUSABLE',
  'ERR_MANIFEST_REFERENCE',
] as const;

/** A stable code of {@link PassportImportError}; see {@link PASSPORT_IMPORT_ERROR_CODES}. */
export type PassportImportErrorCode = (typeof PASSPORT_IMPORT_ERROR_CODES)[number];

/**
 * A failure of `m2m-auth import passport`, always raised before anything is written. The message
 * says what to do; it never holds a secret or a database password.
 */
export class PassportImportError extends M2mAuthError<PassportImportErrorCode> {
  constructor(code: PassportImportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PassportImportError';
  }
}
