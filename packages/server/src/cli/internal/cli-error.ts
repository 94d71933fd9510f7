import { M2mAuthError } from '../../errors/m2m-auth-error.js';

/**
 * Why a CLI command failed before reaching the store, in the order ERRORS.md lists them:
 * - `ERR_CLI_FILE_UNREADABLE`: a file named by an option cannot be read;
 * - `ERR_CLI_FILE_UNWRITABLE`: an output file cannot be written;
 * - `ERR_CLI_USAGE`: options that do not go together, or a value the command cannot use.
 */
export const CLI_ERROR_CODES = [
  'ERR_CLI_FILE_UNREADABLE',
  'ERR_CLI_FILE_UNWRITABLE',
  'ERR_CLI_USAGE',
] as const;

/** A stable code of {@link CliError}; see {@link CLI_ERROR_CODES}. */
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** A CLI failure shown as one line on stderr, with a non-zero exit. */
export class CliError extends M2mAuthError<CliErrorCode> {
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CliError';
  }
}
