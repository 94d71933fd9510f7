/**
 * Canonical base64url (RFC 7515 §2, RFC 4648 §5 without padding). Node's decoders (and jose's on
 * Node 20, which goes through `atob`) accept padding, whitespace, the `+`/`/` alphabet and non-zero
 * trailing bits, so two different strings decode to the same bytes. A token is checked here before
 * anything else decodes it, so that exactly one spelling of each token verifies.
 */

/**
 * The bytes `value` spells if it is their one canonical unpadded base64url spelling, else
 * `undefined`: decoded by Node (which is lenient: both alphabets, padding, whitespace skipped,
 * trailing bits dropped) and encoded again, which always gives the canonical spelling, so the two
 * strings are equal exactly when `value` was canonical. Two native calls and a comparison, cheaper
 * than a character loop over a token-sized segment, and the decoding is needed anyway.
 */
export function decodeIfCanonical(value: string): Buffer | undefined {
  if (value.length === 0) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.toString('base64url') === value ? bytes : undefined;
}
