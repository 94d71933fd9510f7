/**
 * scheduleKeyRotation on a real SQLite file, with a fake `Date` (the store's clock and the
 * schedule's) moved by hand and steps run with `runNow()`.
 */
import { openStore, type Store } from '@m2m-auth/server';
import { scheduleKeyRotation } from '@m2m-auth/server/keys';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let store: Store;
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2031-01-01T00:00:00Z'));
  database = await createTestDatabase('sqlite');
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await store.close().catch(() => {});
  await database.drop();
  vi.useRealTimers();
});

function advanceClock(sec: number): void {
  vi.setSystemTime(Date.now() + sec * 1000);
}

function logger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

describe('scheduleKeyRotation', () => {
  it('refuses misused options with a TypeError at creation', () => {
    for (const options of [
      { rotateEverySec: 0 },
      { rotateEverySec: 1.5 },
      { rotateEverySec: 60, propagationSec: -1 },
      { rotateEverySec: 60, propagationSec: 31 * 86_400 },
      { rotateEverySec: 60, alg: 'HS256' as never },
      { rotateEverySec: 60, maxCheckIntervalMs: 0 },
    ]) {
      expect(() => scheduleKeyRotation(store, options)).toThrow(TypeError);
    }
  });

  it('publishes a next key when the active one is old enough, activates it after the propagation delay, and reports each step once', async () => {
    const first = await store.keys.generate('ES256');
    const log = logger();
    const schedule = scheduleKeyRotation(store, {
      rotateEverySec: 100,
      propagationSec: 10,
      logger: log,
    });
    stops.push(() => schedule.stop());

    expect((await schedule.runNow()).created).toEqual([]);
    advanceClock(100);
    const started = await schedule.runNow();
    expect(started.created).toHaveLength(1);
    const next = started.created[0];
    expect(next).toMatchObject({ state: 'next', alg: 'ES256' });
    expect(next?.activatesAt).toBe(Math.floor(Date.now() / 1000) + 10);
    expect((await schedule.runNow()).created).toEqual([]);

    advanceClock(10);
    const activated = await schedule.runNow();
    expect(activated.activated.map((key) => key.kid)).toEqual([next?.kid]);
    expect(activated.retired.map((key) => key.kid)).toEqual([first.kid]);
    expect(log.info).toHaveBeenCalledWith(
      expect.objectContaining({ kid: next?.kid }),
      'scheduled key rotation: next signing key published',
    );
    expect(log.info).toHaveBeenCalledWith(
      expect.objectContaining({ kid: next?.kid, retired: [first.kid] }),
      'scheduled key rotation: signing key activated',
    );
    expect(log.error).not.toHaveBeenCalled();
  });

  it('takes a next key that waits without an activation time as the next key when the rotation is due', async () => {
    await store.keys.generate('ES256');
    // `keys generate` while a key is active: published as next, no activation date.
    const waiting = await store.keys.generate('ES256');
    expect(waiting).toMatchObject({ state: 'next', activatesAt: null });
    const schedule = scheduleKeyRotation(store, { rotateEverySec: 100, propagationSec: 10 });
    stops.push(() => schedule.stop());

    advanceClock(100);
    const scheduled = await schedule.runNow();
    expect(scheduled.created).toEqual([]);
    expect(scheduled.scheduled.map((key) => key.kid)).toEqual([waiting.kid]);
    advanceClock(10);
    expect((await schedule.runNow()).activated.map((key) => key.kid)).toEqual([waiting.kid]);
  });

  it('rotates at once with a zero propagation delay', async () => {
    await store.keys.generate('ES256');
    const schedule = scheduleKeyRotation(store, { rotateEverySec: 50, propagationSec: 0 });
    stops.push(() => schedule.stop());
    advanceClock(50);
    const change = await schedule.runNow();
    expect(change.created).toHaveLength(1);
    expect(change.activated.map((key) => key.kid)).toEqual(change.created.map((key) => key.kid));
  });

  it('logs a failing step once per outage and rejects runNow while the database fails', async () => {
    await store.keys.generate('ES256');
    const log = logger();
    const schedule = scheduleKeyRotation(store, { rotateEverySec: 50, logger: log });
    stops.push(() => schedule.stop());
    await schedule.runNow();
    await store.close();
    advanceClock(50);
    await expect(schedule.runNow()).rejects.toThrow();
    await expect(schedule.runNow()).rejects.toThrow();
    expect(log.error).toHaveBeenCalledTimes(1);
  });
});
