// Arithmetic of the results: means over passes, ratios and added microseconds per request.

export const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Time a request costs at `rps` requests per second, µs. */
export const usPerRequest = (rps) => 1e6 / rps;

/** µs a protected route adds per request: 1e6/rps_protected − 1e6/rps_unprotected. */
export const addedUs = (protectedRps, unprotectedRps) =>
  usPerRequest(protectedRps) - usPerRequest(unprotectedRps);

/** Per-pass values of `pick(pass)`, and their mean. */
export function perPass(passes, pick) {
  const values = passes.map(pick);
  return { values, mean: mean(values) };
}
