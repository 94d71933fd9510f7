import { AuthServerError } from '../../errors/auth-server-error.js';

/**
 * Reads one token request parameter. An empty value counts as absent (RFC 6749 §3.1); a repeated
 * parameter is refused (RFC 6749 §3.2), and so is a JSON value that is not a string.
 *
 * @throws AuthServerError `ERR_REQUEST_PARAMETER_REPEATED`, `ERR_REQUEST_PARAMETER_INVALID`.
 */
export function readParam(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    throw new AuthServerError('ERR_REQUEST_PARAMETER_REPEATED', { cause: `parameter ${name}` });
  }
  throw new AuthServerError('ERR_REQUEST_PARAMETER_INVALID', { cause: `parameter ${name}` });
}
