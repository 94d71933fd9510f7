/**
 * The one base class of every error `@m2m-auth/server` lets escape to its callers: HTTP refusals
 * ({@link AuthServerError}, `AdminApiError`), store and registry failures (`StoreError`),
 * provisioning (`ProvisionError`), Passport import (`PassportImportError`) and CLI usage
 * (`CliError`). Each carries a stable `code`, `ERR_…`, from its family's one table; switch on
 * `err.code`, never on the message. ERRORS.md lists every code; a test keeps both in step.
 *
 * The message is one line for people (it may change), never holds a secret, a token, a private key
 * or a database password; the underlying error, if any, is in `cause`.
 *
 * @example
 * ```ts
 * import { M2mAuthError } from '@m2m-auth/server';
 * try {
 *   await store.clients.create({ name: 'ms_admin' });
 * } catch (err) {
 *   if (err instanceof M2mAuthError && err.code === 'ERR_CLIENT_NAME_TAKEN') console.error(err.message);
 *   else throw err;
 * }
 * ```
 */
export class M2mAuthError<Code extends string = string> extends Error {
  /** Stable machine-readable reason, `ERR_…`. */
  readonly code: Code;

  /**
   * @param code - stable reason from the family's code table.
   * @param message - one line for people; no secrets.
   * @param options - `cause`: the underlying error (kept for logs, never sent to OAuth clients).
   */
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'M2mAuthError';
    this.code = code;
  }
}
