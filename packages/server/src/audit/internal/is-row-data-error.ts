/**
 * Whether a failed insert was refused because of the rows it carried (a value the database will
 * never accept), rather than because the database is unreachable or busy. Only such errors make
 * the audit writer isolate the offending row; anything else is treated as an outage and retried.
 *
 * - PostgreSQL SQLSTATE classes 22 (data exception: NUL in text, out-of-range or ill-formed
 *   number…), 23 (integrity constraint violation) and 54 (program limit exceeded, e.g. an index
 *   row too large);
 * - SQLite constraint, datatype mismatch, too big and bind-range errors;
 * - a TypeError or RangeError raised while binding a value (the driver refuses its type).
 */
export function isRowDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (/^(22|23|54)[0-9A-Z]{3}$/.test(code)) return true;
    return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
  }
  return err instanceof TypeError || err instanceof RangeError;
}
