/** Why a CLI command failed before reaching the store (files, option combinations). */
export type CliErrorCode = 'FILE_UNREADABLE' | 'FILE_UNWRITABLE' | 'USAGE';

/** A CLI failure shown as one line on stderr, with a non-zero exit. */
export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
  }
}
