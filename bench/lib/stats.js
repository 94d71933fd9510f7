// Arithmetic of the results: medians over passes, ratios and added microseconds per request.

/** The median: robust to the one pass that another process's burst of work spoiled. */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Time a request costs at `rps` requests per second, µs. */
export const usPerRequest = (rps) => 1e6 / rps;

/** µs a protected route adds per request: 1e6/rps_protected − 1e6/rps_unprotected. */
export const addedUs = (protectedRps, unprotectedRps) =>
  usPerRequest(protectedRps) - usPerRequest(unprotectedRps);

/**
 * Per-pass values of `pick(pass)` (each from figures of that same pass), and their median.
 *
 * @returns `{ values, median }`.
 */
export function perPass(passes, pick) {
  const values = passes.map(pick);
  return { values, median: median(values) };
}
