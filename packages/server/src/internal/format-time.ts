/** Unix seconds as an ISO 8601 UTC time without milliseconds, or `-`. */
export function formatTime(sec: number | null | undefined): string {
  if (sec === null || sec === undefined) return '-';
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}
