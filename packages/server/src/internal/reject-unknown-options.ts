/**
 * Throws a TypeError for an option name a function does not take, so a misspelt option (`prot`
 * for `port`) fails at once instead of silently keeping a default.
 *
 * @param label - the function, for the message (e.g. `startServer`).
 * @param options - what the caller passed (own enumerable names are checked).
 * @param known - every valid name.
 * @throws TypeError `startServer: unknown option "prot" (valid options: …)`.
 */
export function rejectUnknownOptions(
  label: string,
  options: object,
  known: readonly string[],
): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      const shown = JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
      throw new TypeError(`${label}: unknown option ${shown} (valid options: ${known.join(', ')})`);
    }
  }
}
