import { M2mAuthError } from '../errors/m2m-auth-error.js';

/**
 * Stable codes of {@link ProvisionError}:
 * - `ERR_MANIFEST_UNREADABLE`: the manifest file could not be read.
 * - `ERR_MANIFEST_SYNTAX`: the manifest is not well-formed YAML/JSON (message carries line:column).
 * - `ERR_MANIFEST_INVALID`: the manifest is well-formed but wrong (unknown service, scope not declared by
 *   the receiver, duplicate or clashing names, bad URL, unknown key…); one line per problem.
 * - `ERR_PROVISION_CONFLICT`: the manifest cannot be applied to this store (e.g. a listed service's client
 *   was revoked and `replaceRevoked` does not name it, `replaceRevoked` names a client that is not
 *   revoked, `--rotate-secrets` names an unknown service).
 * - `ERR_ENV_DIR_UNWRITABLE`: the `--env-dir` cannot be created or written.
 * - `ERR_APPLY_FAILED`: the store refused a change midway (e.g. the database went away). The changes made
 *   before it stay, and the `.env` files of the clients already created are written so that no secret
 *   is lost; re-running provisioning completes the rest.
 */
export const PROVISION_ERROR_CODES = [
  'ERR_MANIFEST_UNREADABLE',
  'ERR_MANIFEST_SYNTAX',
  'ERR_MANIFEST_INVALID',
  'ERR_PROVISION_CONFLICT',
  'ERR_ENV_DIR_UNWRITABLE',
  'ERR_APPLY_FAILED',
] as const;

/** A stable code of {@link ProvisionError}; see {@link PROVISION_ERROR_CODES}. */
export type ProvisionErrorCode = (typeof PROVISION_ERROR_CODES)[number];

/** One located problem in a manifest (1-based line and column; 0 when unknown). */
export interface ManifestProblem {
  /** Dotted path of the offending entry, e.g. `services.ms_admin.calls.ms_nurse`. */
  path: string;
  message: string;
  line: number;
  col: number;
}

/**
 * A provisioning failure. Every code but `ERR_APPLY_FAILED` is thrown before anything is changed, so the
 * store and the env folder are as they were. The message is one readable line per problem (the first
 * line sums up), and never holds a secret.
 *
 * @example
 * ```ts
 * try { parseManifest(text, 'services.yaml'); }
 * catch (err) { if (err instanceof ProvisionError && err.code === 'ERR_MANIFEST_INVALID') console.error(err.message); }
 * ```
 */
export class ProvisionError extends M2mAuthError<ProvisionErrorCode> {
  /** Located problems, for `ERR_MANIFEST_SYNTAX` and `ERR_MANIFEST_INVALID`; empty otherwise. */
  readonly problems: readonly ManifestProblem[];

  constructor(
    code: ProvisionErrorCode,
    message: string,
    options: { problems?: readonly ManifestProblem[]; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'ProvisionError';
    this.problems = options.problems ?? [];
  }
}
