/**
 * Strict reading of a compact JWS (RFC 7515 §7.1) such as a client assertion, before any key is
 * looked up or any signature checked: exactly three non-empty segments, each the one canonical
 * unpadded base64url spelling of its bytes, and a header and payload that are JSON objects in strict
 * UTF-8 without duplicate member names at any depth (RFC 7515 §5.2, RFC 7519 §7.2). Two readers of
 * an accepted assertion thus cannot see different claims. The same rules as the verifier package,
 * kept here so that the server does not depend on the verifier's internals.
 */

import { ClientAssertionRefused } from '../client-assertion-refused.js';

/** A compact JWS split and parsed; `reason` of a refusal is a fixed string for the audit log. */
export interface StrictJws {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
}

const LAST_OF_TWO = 'AQgw';
const LAST_OF_THREE = 'AEIMQUYcgkosw048';
const ALPHABET = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
  ALPHABET[ch.charCodeAt(0)] = 1;
}
// fatal: invalid UTF-8 is an error; ignoreBOM: a BOM is kept so that JSON.parse refuses it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether `value` is the canonical unpadded base64url spelling of some non-empty bytes. */
export function isCanonicalBase64url(value: string): boolean {
  const length = value.length;
  if (length === 0 || length % 4 === 1) return false;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || ALPHABET[code] === 0) return false;
  }
  const rest = length % 4;
  if (rest === 0) return true;
  const last = value[length - 1] as string;
  return (rest === 2 ? LAST_OF_TWO : LAST_OF_THREE).includes(last);
}

/**
 * Splits and parses a compact JWS strictly (see the module comment).
 *
 * @throws ClientAssertionRefused with a fixed reason.
 */
export function parseStrictJws(token: string): StrictJws {
  const parts = token.split('.');
  if (parts.length === 5)
    throw new ClientAssertionRefused('assertion is a JWE; a signed JWT is required');
  if (parts.length !== 3) throw new ClientAssertionRefused('assertion is not a compact JWS');
  const [header, payload, signature] = parts as [string, string, string];
  if (signature === '') throw new ClientAssertionRefused('assertion is unsigned (empty signature)');
  if (
    !isCanonicalBase64url(header) ||
    !isCanonicalBase64url(payload) ||
    !isCanonicalBase64url(signature)
  ) {
    throw new ClientAssertionRefused('assertion is not canonical base64url');
  }
  return {
    header: parseJsonObject(Buffer.from(header, 'base64url'), 'header'),
    payload: parseJsonObject(Buffer.from(payload, 'base64url'), 'claims'),
  };
}

function parseJsonObject(bytes: Uint8Array, part: string): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new ClientAssertionRefused(`assertion ${part} is not valid UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClientAssertionRefused(`assertion ${part} is not a JSON object`);
  }
  if (hasDuplicateMember(text)) {
    throw new ClientAssertionRefused(`assertion ${part} has duplicate member names`);
  }
  return value as Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether valid JSON text has an object with two members of the same name after unescaping. Only
 * strings, nesting and "is the next string a member name" are tracked: JSON.parse accepted it.
 */
function hasDuplicateMember(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const start = i;
      let escaped = false;
      i++;
      for (; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) {
          escaped = true;
          i++;
        } else if (c === QUOTE) {
          break;
        }
      }
      if (expectName) {
        const names = stack[stack.length - 1];
        const name = escaped
          ? (JSON.parse(text.slice(start, i + 1)) as string)
          : text.slice(start + 1, i);
        if (names) {
          if (names.has(name)) return true;
          names.add(name);
        }
        expectName = false;
      }
    } else if (code === 0x7b) {
      stack.push(new Set());
      expectName = true;
    } else if (code === 0x5b) {
      stack.push(null);
      expectName = false;
    } else if (code === 0x7d || code === 0x5d) {
      stack.pop();
      expectName = false;
    } else if (code === 0x2c) {
      expectName = stack[stack.length - 1] != null;
    }
  }
  return false;
}
