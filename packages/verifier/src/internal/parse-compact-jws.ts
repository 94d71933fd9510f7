import { VerifierError } from '../errors.js';
import { decodeIfCanonical } from './canonical-base64url.js';
import { parseJsonObject } from './parse-json-object.js';

/** The three segments of a compact JWS and its parsed protected header. */
export interface CompactJws {
  /** BASE64URL(UTF8(JWS Protected Header)), as received. */
  readonly protectedHeader: string;
  /** BASE64URL(JWS Payload), as received. */
  readonly payload: string;
  /** The JWS Signing Input (RFC 7515 §2): the header and payload segments with their dot. */
  readonly signingInput: string;
  /** BASE64URL(JWS Signature), as received. */
  readonly signature: string;
  /** The decoded payload (not yet parsed: only after the signature verified). */
  readonly payloadBytes: Buffer;
  /** The decoded signature. */
  readonly signatureBytes: Buffer;
  /** The protected header, parsed strictly. */
  readonly header: Record<string, unknown>;
}

/**
 * Splits a compact JWS (RFC 7515 §7.1) and parses its protected header, more strictly than jose:
 * exactly three non-empty segments (five is a JWE, RFC 7516 §7.1; an empty signature is an
 * unsecured JWS), each canonical base64url, and a header that is a JSON object without duplicate
 * members. The caller has already capped the token's length.
 *
 * @throws VerifierError `ERR_TOKEN_MALFORMED`.
 */
export function parseCompactJws(token: string): CompactJws {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1) {
    throw new VerifierError('ERR_TOKEN_MALFORMED', 'token is not a compact JWS');
  }
  const third = token.indexOf('.', second + 1);
  if (third !== -1) {
    const segments = token.split('.').length;
    throw new VerifierError(
      'ERR_TOKEN_MALFORMED',
      segments === 5
        ? 'token is a JWE (five segments); only signed tokens are accepted'
        : 'token is not a compact JWS',
    );
  }
  const protectedHeader = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (signature.length === 0) {
    throw new VerifierError('ERR_TOKEN_MALFORMED', 'token is unsigned (empty signature)');
  }
  const headerBytes = decodeIfCanonical(protectedHeader);
  const payloadBytes = decodeIfCanonical(payload);
  const signatureBytes = decodeIfCanonical(signature);
  if (headerBytes === undefined || payloadBytes === undefined || signatureBytes === undefined) {
    throw new VerifierError(
      'ERR_TOKEN_MALFORMED',
      'token is not canonical base64url (padding, whitespace, wrong alphabet or trailing bits)',
    );
  }
  const header = parseJsonObject(headerBytes, 'header');
  return {
    protectedHeader,
    payload,
    signingInput: token.slice(0, second),
    signature,
    payloadBytes,
    signatureBytes,
    header,
  };
}
