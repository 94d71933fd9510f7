/**
 * Drives a client under fake timers: lets real I/O finish, then moves the fake clock to the next
 * timer, until the promise settles. The clock never moves while an HTTP exchange is in flight, so
 * every timer the client sets starts at the exact fake time the response arrived.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { vi } from 'vitest';

/** A global-fetch wrapper that counts exchanges in flight (body fully read before it returns). */
export interface TrackedFetch {
  readonly fetch: typeof globalThis.fetch;
  inFlight(): number;
}

export function trackFetch(): TrackedFetch {
  let inFlight = 0;
  return {
    fetch: async (input, init) => {
      inFlight++;
      try {
        const response = await fetch(input, init);
        // Read the body here, so that once we return the client only runs microtasks.
        const body = await response.arrayBuffer();
        return new Response(response.status === 204 ? null : body, response);
      } finally {
        inFlight--;
      }
    },
    inFlight: () => inFlight,
  };
}

/** Waits (real time, bounded) until no exchange is in flight and queued callbacks have run. */
export async function quiesce(tracker: TrackedFetch): Promise<void> {
  const limit = performance.now() + 10_000;
  for (;;) {
    await nextTurn();
    await nextTurn();
    if (tracker.inFlight() === 0) return;
    if (performance.now() > limit)
      throw new Error('quiesce: HTTP exchange still in flight after 10 s');
  }
}

/** Settles `promise`, advancing the fake clock timer by timer whenever the client is idle. */
export async function drive<T>(promise: Promise<T>, tracker: TrackedFetch): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  await driveUntil(() => settled, tracker);
  return watched;
}

/** Advances the fake clock timer by timer, letting I/O finish in between, until `condition()`. */
export async function driveUntil(condition: () => boolean, tracker: TrackedFetch): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    await quiesce(tracker);
    if (condition()) return;
    if (vi.getTimerCount() === 0) throw new Error('drive: nothing left to run, condition unmet');
    await vi.advanceTimersToNextTimerAsync();
  }
  throw new Error('drive: condition unmet after 10,000 timers');
}
