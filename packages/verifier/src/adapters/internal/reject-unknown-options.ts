/**
 * Throws a TypeError for an option name the adapter does not know, so a misspelt option
 * (`scope` for `scopes`) fails when the route is declared instead of leaving a route unprotected
 * by a scope.
 *
 * @param name - the adapter function, for the message.
 * @param options - what the caller passed.
 * @param known - the option names the adapter accepts.
 * @throws TypeError naming the first unknown option.
 */
export function rejectUnknownOptions(
  name: string,
  options: unknown,
  known: readonly string[],
): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${name} options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`Unknown option "${key}" of ${name}; known: ${known.join(', ')}`);
    }
  }
}
