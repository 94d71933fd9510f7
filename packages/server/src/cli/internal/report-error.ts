import { M2mAuthError } from '../../errors/m2m-auth-error.js';
import { ProvisionError } from '../../provision/provision-error.js';
import { CLI_EXIT_CODES } from '../exit-codes.js';

/** How to print a failed command's error. */
export interface CliErrorReportOptions {
  /** `--json` was given: one JSON object `{ "error": { "code", "message" } }` instead of text. */
  json?: boolean;
}

/**
 * Prints a failed command's error on stderr and returns its exit status: every error family is
 * `FAILED` (1), as ERRORS.md documents. Our own errors show their message and their `ERR_…` code
 * in brackets at the end of the first line (a manifest's problems follow one per line, each with
 * its file:line:col), so an operator can look the code up in ERRORS.md and
 * docs/troubleshooting.md; anything else says it was unexpected, without a stack trace unless
 * `M2M_AUTH_DEBUG` is set. With `json`, the same as `{"error":{"code":…,"message":…}}` (`code` is
 * null for an unexpected failure).
 */
export function reportCliError(err: unknown, options: CliErrorReportOptions = {}): number {
  if (options.json === true) {
    const code = err instanceof M2mAuthError ? err.code : null;
    process.stderr.write(`${JSON.stringify({ error: { code, message: describe(err) } })}\n`);
  } else {
    process.stderr.write(`m2m-auth: error: ${withCode(describe(err), err)}\n`);
  }
  if (process.env['M2M_AUTH_DEBUG'] && err instanceof Error && err.stack) {
    process.stderr.write(`${err.stack}\n`);
  }
  return CLI_EXIT_CODES.FAILED;
}

/** Puts an error's `ERR_…` code at the end of the message's first line. */
function withCode(text: string, err: unknown): string {
  if (!(err instanceof M2mAuthError)) return text;
  const end = text.indexOf('\n');
  if (end === -1) return `${text} [${err.code}]`;
  // "services.yaml is invalid (2 problems):" keeps its colon last, before the problems' lines.
  const first = text.slice(0, end);
  const head = first.endsWith(':')
    ? `${first.slice(0, -1)} [${err.code}]:`
    : `${first} [${err.code}]`;
  return `${head}${text.slice(end)}`;
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
