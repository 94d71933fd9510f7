import { StoreError } from '../store/store-error.js';

/**
 * Checks a whole number of seconds within bounds.
 *
 * @param what how to call it in the message, e.g. `token TTL`
 * @throws {StoreError} `ERR_INVALID_DURATION`
 */
export function validateSeconds(value: number, what: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StoreError(
      'ERR_INVALID_DURATION',
      `${what} must be a whole number of seconds from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}
