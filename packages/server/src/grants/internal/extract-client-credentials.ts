import { AuthServerError } from '../../errors/auth-server-error.js';
import { JWT_BEARER_ASSERTION_TYPE } from '../verify-client-assertion.js';
import { parseStrictJws } from './parse-strict-jws.js';
import { readParam } from './read-param.js';

/** Credentials a client presented, and how. */
export type PresentedClientCredentials =
  | {
      clientId: string;
      clientSecret: string;
      method: 'client_secret_basic' | 'client_secret_post';
    }
  | {
      /** The body client_id, else the assertion's unverified `sub` ('' when unreadable). */
      clientId: string;
      /** The JWT of `client_assertion` (RFC 7521 §4.2), not yet verified. */
      assertion: string;
      method: 'private_key_jwt';
    };

/** Longest accepted client_assertion, characters (a signed JWT of a few claims is under 2 KiB). */
const MAX_ASSERTION_LENGTH = 8192;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Extracts client credentials from the Authorization header (client_secret_basic, RFC 6749
 * §2.3.1), from the body (client_secret_post), or a client assertion (private_key_jwt, RFC 7523
 * §2.2, RFC 7521 §4.2). Presenting both is refused (RFC 6749 §2.3).
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
  const assertionType = readParam(params, 'client_assertion_type');
  const assertion = readParam(params, 'client_assertion');
  if (assertionType !== undefined || assertion !== undefined) {
    if ((authorization !== undefined && authorization !== '') || bodySecret !== undefined) {
      throw new AuthServerError('ERR_CLIENT_AUTH_MULTIPLE_METHODS');
    }
    if (assertionType !== JWT_BEARER_ASSERTION_TYPE) {
      throw new AuthServerError('ERR_CLIENT_AUTH_METHOD_UNSUPPORTED', {
        cause: 'client_assertion_type is not jwt-bearer',
      });
    }
    if (assertion === undefined || assertion.length > MAX_ASSERTION_LENGTH) {
      throw new AuthServerError('ERR_CLIENT_AUTH_MALFORMED', {
        cause: assertion === undefined ? 'client_assertion missing' : 'client_assertion too long',
      });
    }
    return {
      clientId: bodyId ?? unverifiedSubject(assertion),
      assertion,
      method: 'private_key_jwt',
    };
  }
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

/**
 * The `sub` of an assertion before any check (RFC 7521 §4.2: client_id is optional with an
 * assertion): only to look the client up and to key the failure limiter; verification follows.
 */
function unverifiedSubject(assertion: string): string {
  try {
    const sub = parseStrictJws(assertion).payload['sub'];
    return typeof sub === 'string' && sub.length <= 255 ? sub : '';
  } catch {
    return '';
  }
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
