import { AuthServerError } from '../../errors/auth-server-error.js';
import type { RequestParams } from './request-params.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses an `application/json` token request body (what Laravel Passport also accepts): a JSON
 * object whose parameters are strings.
 *
 * @throws AuthServerError `ERR_REQUEST_BODY_MALFORMED` on invalid UTF-8, invalid JSON, or a JSON
 *   value that is not an object.
 */
export function parseJsonBody(body: Buffer): RequestParams {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch (err) {
    // Also catches RangeError from absurdly deep nesting: bad input is a 400, never a 500. The
    // original error is dropped on purpose: V8's SyntaxError quotes the input, which may hold a
    // client_secret, and the cause ends up in the logs.
    throw new AuthServerError('ERR_REQUEST_BODY_MALFORMED', {
      cause: err instanceof SyntaxError ? 'invalid JSON' : 'invalid UTF-8 or JSON nesting too deep',
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuthServerError('ERR_REQUEST_BODY_MALFORMED', {
      cause: 'JSON body is not an object',
    });
  }
  return value as RequestParams;
}
