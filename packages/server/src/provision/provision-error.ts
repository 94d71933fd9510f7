/**
 * Stable codes of {@link ProvisionError}:
 * - `MANIFEST_UNREADABLE`: the manifest file could not be read.
 * - `MANIFEST_SYNTAX`: the manifest is not well-formed YAML/JSON (message carries line:column).
 * - `MANIFEST_INVALID`: the manifest is well-formed but wrong (unknown service, scope not declared by
 *   the receiver, duplicate or clashing names, bad URL, unknown key…); one line per problem.
 * - `PROVISION_CONFLICT`: the manifest cannot be applied to this store (e.g. a listed service's client
 *   was revoked, `--rotate-secrets` names an unknown service).
 * - `ENV_DIR_UNWRITABLE`: the `--env-dir` cannot be created or written.
 * - `APPLY_FAILED`: the store refused a change midway (e.g. the database went away). The changes made
 *   before it stay, and the `.env` files of the clients already created are written so that no secret
 *   is lost; re-running provisioning completes the rest.
 */
export type ProvisionErrorCode =
  | 'MANIFEST_UNREADABLE'
  | 'MANIFEST_SYNTAX'
  | 'MANIFEST_INVALID'
  | 'PROVISION_CONFLICT'
  | 'ENV_DIR_UNWRITABLE'
  | 'APPLY_FAILED';

/** All {@link ProvisionErrorCode} values, in the order ERRORS.md lists them. */
export const PROVISION_ERROR_CODES: readonly ProvisionErrorCode[] = [
  'MANIFEST_UNREADABLE',
  'MANIFEST_SYNTAX',
  'MANIFEST_INVALID',
  'PROVISION_CONFLICT',
  'ENV_DIR_UNWRITABLE',
  'APPLY_FAILED',
];

/** One located problem in a manifest (1-based line and column; 0 when unknown). */
export interface ManifestProblem {
  /** Dotted path of the offending entry, e.g. `services.ms_admin.calls.ms_nurse`. */
  path: string;
  message: string;
  line: number;
  col: number;
}

/**
 * A provisioning failure. Every code but `APPLY_FAILED` is thrown before anything is changed, so the
 * store and the env folder are as they were. The message is one readable line per problem (the first
 * line sums up), and never holds a secret.
 *
 * @example
 * ```ts
 * try { parseManifest(text, 'services.yaml'); }
 * catch (err) { if (err instanceof ProvisionError && err.code === 'MANIFEST_INVALID') console.error(err.message); }
 * ```
 */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  readonly code: ProvisionErrorCode;
  /** Located problems, for `MANIFEST_SYNTAX` and `MANIFEST_INVALID`; empty otherwise. */
  readonly problems: readonly ManifestProblem[];

  constructor(
    code: ProvisionErrorCode,
    message: string,
    options: { problems?: readonly ManifestProblem[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [];
  }
}
