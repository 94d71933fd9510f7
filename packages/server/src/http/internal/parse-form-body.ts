import { AuthServerError } from '../../errors/auth-server-error.js';
import type { RequestParams } from './request-params.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses an `application/x-www-form-urlencoded` body (RFC 6749 Appendix B). Repeated parameters are
 * kept as arrays so the grant can refuse them; empty names are ignored.
 *
 * @throws AuthServerError `ERR_REQUEST_BODY_MALFORMED` on invalid UTF-8 or percent-encoding.
 */
export function parseFormBody(body: Buffer): RequestParams {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (cause) {
    throw new AuthServerError('ERR_REQUEST_BODY_MALFORMED', { cause });
  }
  const params: RequestParams = Object.create(null);
  if (text.length === 0) return params;
  for (const pair of text.split('&')) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    if (name.length === 0) continue;
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    const previous = params[name];
    if (previous === undefined) params[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else params[name] = [previous, value];
  }
  return params;
}

function decodeFormComponent(raw: string): string {
  // Fast path: most token request values are plain URL-safe text.
  if (raw.indexOf('%') === -1 && raw.indexOf('+') === -1) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch (cause) {
    // decodeURIComponent throws on a stray % and on percent-encoded bytes that are not UTF-8.
    throw new AuthServerError('ERR_REQUEST_BODY_MALFORMED', { cause });
  }
}
