/**
 * Control characters (C0, DEL, C1: Unicode category Cc) and unpaired UTF-16 surrogates (Cs).
 * No OAuth parameter legitimately holds one; PostgreSQL refuses NUL in text outright, other control
 * characters forge or break log lines, and a lone surrogate is silently rewritten to U+FFFD on its
 * way to the database, so a lookup would compare something else than what was sent.
 */
const CONTROL = /[\p{Cc}\p{Cs}]/u;

/** Whether `value` holds a control character or an unpaired surrogate. */
export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/**
 * The first body parameter whose name or string value (or one of its values, when repeated) holds
 * a control character; undefined when there is none. Non-string values are left to `readParam`.
 */
export function findParameterWithControlCharacters(
  params: Record<string, unknown>,
): string | undefined {
  for (const name in params) {
    if (hasControlCharacters(name)) return name;
    const value = params[name];
    if (typeof value === 'string') {
      if (hasControlCharacters(value)) return name;
    } else if (Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === 'string' && hasControlCharacters(item)) return name;
      }
    }
  }
  return undefined;
}
