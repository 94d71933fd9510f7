import { AuthServerError } from '../../errors/auth-server-error.js';

/** Most body parameters a token request may carry; it needs at most six. */
export const MAX_TOKEN_REQUEST_PARAMETERS = 32;

/**
 * Checks the shape of a token request body before any parameter is read: at most
 * {@link MAX_TOKEN_REQUEST_PARAMETERS} parameters, none repeated (RFC 6749 §3.2 applies to every
 * parameter, known or not, except RFC 8707's `resource`), none a JSON object (no nesting: a token
 * request is flat).
 *
 * @throws AuthServerError `ERR_REQUEST_TOO_MANY_PARAMETERS`, `ERR_REQUEST_PARAMETER_REPEATED`,
 *   `ERR_REQUEST_PARAMETER_INVALID`.
 */
export function checkParameters(params: Record<string, unknown>): void {
  let count = 0;
  for (const name in params) {
    count += 1;
    if (count > MAX_TOKEN_REQUEST_PARAMETERS) {
      throw new AuthServerError('ERR_REQUEST_TOO_MANY_PARAMETERS');
    }
    const value = params[name];
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      // Several `resource` parameters are legal in RFC 8707 §2; the grant refuses them as
      // invalid_target (one audience per token), which says more than invalid_request.
      if (name === 'resource') continue;
      throw new AuthServerError('ERR_REQUEST_PARAMETER_REPEATED', {
        cause: 'a repeated parameter',
      });
    }
    throw new AuthServerError('ERR_REQUEST_PARAMETER_INVALID', { cause: 'a nested JSON object' });
  }
}
