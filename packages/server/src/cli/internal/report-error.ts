import { M2mAuthError } from '../../errors/m2m-auth-error.js';
import { ProvisionError } from '../../provision/provision-error.js';
import { CLI_EXIT_CODES } from '../exit-codes.js';

/**
 * Prints a failed command's error on stderr and returns its exit status: every error family is
 * `FAILED` (1), as ERRORS.md documents. Our own errors show their message (one line; a manifest's
 * problems one per line, each with its file:line:col); anything else says it was unexpected,
 * without a stack trace unless `M2M_AUTH_DEBUG` is set.
 */
export function reportCliError(err: unknown): number {
  process.stderr.write(`m2m-auth: error: ${describe(err)}\n`);
  if (process.env['M2M_AUTH_DEBUG'] && err instanceof Error && err.stack) {
    process.stderr.write(`${err.stack}\n`);
  }
  return CLI_EXIT_CODES.FAILED;
}

function describe(err: unknown): string {
  if (err instanceof ProvisionError) return err.message.replace(/\n/g, '\n  ').trim();
  const message =
    err instanceof M2mAuthError
      ? err.message
      : err instanceof Error
        ? `unexpected ${err.name}: ${err.message}`
        : `unexpected failure: ${String(err)}`;
  return message.replace(/\s*\n\s*/g, ' ');
}
