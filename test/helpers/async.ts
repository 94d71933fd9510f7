/**
 * Waiting helpers shared by the tests of every package (import them relatively, e.g.
 * `../../../test/helpers/async.js`): one `rejection`, one `until` and one `eventually`, instead
 * of a copy per file.
 * Bounded in time, never timing thresholds: a limit only turns a hang into a readable failure.
 */
import { expect } from 'vitest';

/**
 * The error `promise` rejects with, checked to be an instance of `type` (the class as the test
 * imported it, through the package's `exports`). Fails the test when the promise fulfils.
 */
export async function rejection<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) throw new Error('expected a rejection');
  expect(outcome.error).toBeInstanceOf(type);
  return outcome.error as E;
}

/** Options of {@link until}. */
export interface UntilOptions {
  /** Give up after this many milliseconds of real time. Default 10 000. */
  limitMs?: number;
  /**
   * Milliseconds between checks. Default 100. `0` checks again on the next turn of the event loop
   * (`setImmediate`), for conditions that in-process work meets within a few turns.
   */
  intervalMs?: number;
}

/**
 * Resolves once `check` returns true, checking every `intervalMs`; throws `timed out waiting
 * until <what>` after `limitMs` of real time (`performance.now`, which fake `Date` timers leave
 * alone).
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: UntilOptions = {},
): Promise<void> {
  const { limitMs = 10_000, intervalMs = 100 } = options;
  const deadline = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) =>
      intervalMs === 0 ? setImmediate(resolve) : setTimeout(resolve, intervalMs),
    );
  }
}

/**
 * Resolves with what `check` resolves to once it stops throwing (an `expect` that fails, a
 * request that is refused), calling it every `intervalMs`; after `limitMs` of real time throws
 * `timed out after <limitMs> ms waiting until <what>: <the last error>`.
 */
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  options: UntilOptions = {},
): Promise<T> {
  const { limitMs = 10_000, intervalMs = 100 } = options;
  const deadline = performance.now() + limitMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (performance.now() > deadline) {
        throw new Error(`timed out after ${limitMs} ms waiting until ${what}: ${String(err)}`, {
          cause: err,
        });
      }
    }
    await new Promise((resolve) =>
      intervalMs === 0 ? setImmediate(resolve) : setTimeout(resolve, intervalMs),
    );
  }
}
