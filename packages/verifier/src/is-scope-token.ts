/**
 * Whether a string is a scope-token (RFC 6749 §3.3: `1*( %x21 / %x23-5B / %x5D-7E )`): printable
 * ASCII without space, `"` or `\`. The same set RFC 6750 §3 allows in a `scope` attribute, so a
 * scope token never needs escaping in `WWW-Authenticate`.
 *
 * @param value - a candidate scope.
 * @returns true for a valid scope token.
 * @example
 * ```ts
 * isScopeToken('doctors:read'); // true
 * isScopeToken('doctors read'); // false
 * ```
 */
export function isScopeToken(value: string): boolean {
  if (typeof value !== 'string' || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x21 || code > 0x7e || code === 0x22 || code === 0x5c) return false;
  }
  return true;
}
