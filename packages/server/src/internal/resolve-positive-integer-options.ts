/**
 * Merges options whose every field is a positive integer over their defaults, rejecting unknown
 * fields (a typo would otherwise silently keep a default). Fields given as `undefined` keep theirs.
 *
 * @param label - the option's name in messages, e.g. `auditStore`.
 * @param defaults - every field with its default; also the list of known fields.
 * @param options - the fields given.
 * @returns a new object: `defaults` with the given fields applied.
 * @throws TypeError `<label>: unknown option <name>` or `<label>.<name> must be a positive integer`.
 */
export function resolvePositiveIntegerOptions<T extends { [K in keyof T]: number }>(
  label: string,
  defaults: Readonly<T>,
  options: { readonly [K in keyof T]?: number | undefined },
): T {
  const settings = { ...defaults } as T;
  for (const [name, value] of Object.entries(options)) {
    if (!(name in defaults)) {
      throw new TypeError(`${label}: unknown option ${name}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`${label}.${name} must be a positive integer`);
    }
    (settings as Record<string, number>)[name] = value;
  }
  return settings;
}
