/**
 * Canonical base64url (RFC 7515 §2, RFC 4648 §5 without padding). Node's decoders (and jose's on
 * Node 20, which goes through `atob`) accept padding, whitespace, the `+`/`/` alphabet and non-zero
 * trailing bits, so two different strings decode to the same bytes. A token is checked here before
 * anything else decodes it, so that exactly one spelling of each token verifies.
 */

// Characters whose 6-bit value has its low 4 bits zero (for a final group of 2 characters) or its
// low 2 bits zero (final group of 3 characters): anything else carries non-zero trailing bits.
const LAST_OF_TWO = 'AQgw';
const LAST_OF_THREE = 'AEIMQUYcgkosw048';

/** 1 for each char code of the base64url alphabet, 0 otherwise. */
const ALPHABET = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
  ALPHABET[ch.charCodeAt(0)] = 1;
}

/**
 * Whether `value` is the one canonical unpadded base64url spelling of some non-empty byte string.
 */
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

/** Decodes a value already checked with {@link isCanonicalBase64url}. */
export function decodeCanonicalBase64url(value: string): Buffer {
  return Buffer.from(value, 'base64url');
}
