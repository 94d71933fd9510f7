/** Longest `Retry-After` we take at face value, in seconds; anything longer is treated as this. */
const MAX_RETRY_AFTER_SEC = 24 * 60 * 60;

/**
 * Reads an HTTP `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 *
 * @param header - The header value, or null when absent.
 * @param nowMs - Current time, Unix milliseconds (for the HTTP-date form).
 * @returns The delay in seconds (≥ 0, fractional for dates), or undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value), MAX_RETRY_AFTER_SEC);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, (date - nowMs) / 1000), MAX_RETRY_AFTER_SEC);
}
