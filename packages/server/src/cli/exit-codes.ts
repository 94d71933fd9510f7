/**
 * Exit statuses of the `m2m-auth` CLI: the one table the commands use and ERRORS.md documents (a
 * test keeps both in step). Every failure is `FAILED` whatever its error family (`StoreError`,
 * `ProvisionError`, `PassportImportError`, `CliError`, usage errors of the option parser): the
 * family and its `ERR_…` code are in the message on stderr. The other non-zero statuses are not
 * failures: the command did its work and reports something a script may act on.
 */
export const CLI_EXIT_CODES = Object.freeze({
  /** The command did what was asked. */
  OK: 0,
  /** The command failed; one line on stderr; the store is as it was (except `ERR_APPLY_FAILED`). */
  FAILED: 1,
  /** `audit unused --fail-on-unused` found unused grants (the report is printed first). */
  UNUSED_GRANTS: 2,
  /** `provision` completed everything but the `.env` of a client whose secret is unknown. */
  INCOMPLETE: 3,
} as const);

/** Name of one CLI exit status; see {@link CLI_EXIT_CODES}. */
export type CliExitCodeName = keyof typeof CLI_EXIT_CODES;
