/**
 * Stable codes of {@link PassportImportError}, in the order ERRORS.md lists them:
 * - `SOURCE_URL_INVALID`: the `--from` URL is not `mysql://`, `mariadb://`, `postgres://`,
 *   `postgresql://` or `sqlite:<path>`.
 * - `SOURCE_UNREACHABLE`: the Laravel database cannot be opened or queried.
 * - `SOURCE_NOT_PASSPORT`: it has no `oauth_clients` table with Passport 10–12 or 13 columns.
 * - `CLIENT_NAME_INVALID`: a machine client's Passport name is not a valid m2m-auth client name.
 * - `CLIENT_SECRET_UNUSABLE`: a machine client's secret is neither plain (10–12) nor a bcrypt or
 *   argon2id hash.
 * - `MANIFEST_REFERENCE`: a manifest `passport_client` or a `--name` names no machine client.
 */
export type PassportImportErrorCode =
  | 'SOURCE_URL_INVALID'
  | 'SOURCE_UNREACHABLE'
  | 'SOURCE_NOT_PASSPORT'
  | 'CLIENT_NAME_INVALID'
  | 'CLIENT_SECRET_UNUSABLE'
  | 'MANIFEST_REFERENCE';

/** All {@link PassportImportErrorCode} values, in the order ERRORS.md lists them. */
export const PASSPORT_IMPORT_ERROR_CODES: readonly PassportImportErrorCode[] = [
  'SOURCE_URL_INVALID',
  'SOURCE_UNREACHABLE',
  'SOURCE_NOT_PASSPORT',
  'CLIENT_NAME_INVALID',
  'CLIENT_SECRET_UNUSABLE',
  'MANIFEST_REFERENCE',
];

/**
 * A failure of `m2m-auth import passport`, always raised before anything is written. The message
 * says what to do; it never holds a secret or a database password.
 */
export class PassportImportError extends Error {
  override readonly name = 'PassportImportError';
  readonly code: PassportImportErrorCode;

  constructor(code: PassportImportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
