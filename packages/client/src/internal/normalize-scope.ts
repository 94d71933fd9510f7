/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Turns a scope (space-delimited string or list of scope-tokens) into its canonical form: unique
 * scope-tokens, sorted, joined by one space; `undefined` when there are none. Two requests for the
 * same set of scopes in another order so share one cached token.
 *
 * @param scope - The scope as given by the caller.
 * @param name - How to name the value in the error message (e.g. `options.scope`).
 * @throws TypeError when the value is not a string or list of strings, or holds a character
 *   RFC 6749 §3.3 does not allow in a scope-token.
 */
export function normalizeScope(
  scope: string | readonly string[] | undefined,
  name: string,
): string | undefined {
  if (scope === undefined) return undefined;
  let tokens: string[];
  if (typeof scope === 'string') {
    tokens = scope.split(' ');
  } else if (Array.isArray(scope) && scope.every((s) => typeof s === 'string')) {
    tokens = scope.flatMap((s) => s.split(' '));
  } else {
    throw new TypeError(`${name} must be a space-delimited string or an array of strings`);
  }
  const unique = [...new Set(tokens.filter((t) => t !== ''))].sort();
  for (const token of unique) {
    if (!SCOPE_TOKEN.test(token)) {
      throw new TypeError(
        `${name} holds a character not allowed in a scope (RFC 6749 §3.3: printable ASCII except space, " and \\)`,
      );
    }
  }
  return unique.length === 0 ? undefined : unique.join(' ');
}

/**
 * Checks an audience (RFC 8707 resource / our `audience` parameter) given by the caller.
 *
 * @param audience - The audience, or undefined for none.
 * @param name - How to name the value in the error message.
 * @throws TypeError when the audience is not a non-empty string of printable characters.
 */
export function checkAudience(audience: unknown, name: string): string | undefined {
  if (audience === undefined) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (typeof audience !== 'string' || audience === '' || /[\x00-\x1F\x7F]/.test(audience)) {
    throw new TypeError(`${name} must be a non-empty string without control characters`);
  }
  return audience;
}
