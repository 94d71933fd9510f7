/** Outcome of a verification as one comparable string, for table-like assertions. */
import { VerifierError } from '@m2m-auth/verifier';
import { expect } from 'vitest';

/**
 * Awaits `promise` and resolves to `'accepted'`, or to the `VerifierError` code it rejected with
 * (any other rejection fails the test).
 */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    expect(err).toBeInstanceOf(VerifierError);
    return (err as VerifierError).code;
  }
}
