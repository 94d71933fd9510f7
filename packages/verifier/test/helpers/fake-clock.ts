/** Moving the faked `Date` (tests that call `vi.useFakeTimers({ toFake: ['Date'] })`). */
import { vi } from 'vitest';

/** Moves the faked system time forward by `seconds`. */
export function advanceSec(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000);
}
