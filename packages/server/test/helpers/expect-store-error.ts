/** Assertion helper for store operations that must fail with a given `StoreError` code. */
import { StoreError, type StoreErrorCode } from '@m2m-auth/server/errors';
import { expect } from 'vitest';

/** Awaits `promise`, expects it to reject with a `StoreError` of `code`, and returns that error. */
export async function expectStoreError(
  promise: Promise<unknown>,
  code: StoreErrorCode,
): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return err as StoreError;
}
