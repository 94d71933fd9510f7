import { AuthServerError } from '../../errors/auth-server-error.js';
import { readParam } from './read-param.js';

/** Credentials a client presented, and how. */
export interface PresentedClientCredentials {
  clientId: string;
  clientSecret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Extracts client credentials from the Authorization header (client_secret_basic, RFC 6749
 * §2.3.1) or from the body (client_secret_post). Presenting both is refused (RFC 6749 §2.3).
 *
 * A body `client_id` next to Basic credentials is tolerated when it names the same client (some
 * libraries always send it); a body `client_secret` next to Basic is two methods at once.
 *
 * @throws AuthServerError `ERR_CLIENT_AUTH_MULTIPLE_METHODS`, `ERR_CLIENT_AUTH_MALFORMED`,
 *   `ERR_CLIENT_AUTH_METHOD_UNSUPPORTED`, `ERR_CLIENT_AUTH_MISSING`, and the parameter errors of
 *   `readParam`.
 */
export function extractClientCredentials(
  params: Record<string, unknown>,
  authorization: string | undefined,
): PresentedClientCredentials {
  const bodyId = readClientId(params);
  const bodySecret = readParam(params, 'client_secret');
  if (authorization !== undefined && authorization !== '') {
    const basic = parseBasicAuthorization(authorization);
    if (bodySecret !== undefined || (bodyId !== undefined && bodyId !== basic.clientId)) {
      throw new AuthServerError('ERR_CLIENT_AUTH_MULTIPLE_METHODS');
    }
    return basic;
  }
  if (bodyId === undefined || bodySecret === undefined) {
    throw new AuthServerError('ERR_CLIENT_AUTH_MISSING');
  }
  return { clientId: bodyId, clientSecret: bodySecret, method: 'client_secret_post' };
}

/**
 * The body `client_id`. Laravel Passport's numeric ids reach it as JSON numbers from PHP callers
 * (`"client_id": 5`); a non-negative safe integer is read as its decimal string. Other non-string
 * values are refused as by `readParam`.
 */
function readClientId(params: Record<string, unknown>): string | undefined {
  const value = params['client_id'];
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return readParam(params, 'client_id');
}

function parseBasicAuthorization(header: string): PresentedClientCredentials {
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') {
    throw new AuthServerError('ERR_CLIENT_AUTH_METHOD_UNSUPPORTED');
  }
  const encoded = header.slice(space + 1).trim();
  let decoded: string;
  try {
    // Buffer's base64 decoder skips invalid characters silently; check the alphabet first so that
    // garbage is reported as malformed rather than as a failed login with mangled credentials.
    if (!BASE64.test(encoded)) throw new Error('not base64');
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch (cause) {
    throw new AuthServerError('ERR_CLIENT_AUTH_MALFORMED', { cause });
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new AuthServerError('ERR_CLIENT_AUTH_MALFORMED', { cause: 'no client_id:secret pair' });
  }
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientSecret === '') {
    throw new AuthServerError('ERR_CLIENT_AUTH_MALFORMED', { cause: 'empty client secret' });
  }
  return {
    clientId: formDecode(decoded.slice(0, colon)),
    clientSecret,
    method: 'client_secret_basic',
  };
}

/**
 * RFC 6749 §2.3.1 has clients form-urlencode id and secret before base64; many skip that step, so
 * a value that does not decode is taken as it is.
 */
function formDecode(value: string): string {
  if (value.indexOf('%') === -1 && value.indexOf('+') === -1) return value;
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}
