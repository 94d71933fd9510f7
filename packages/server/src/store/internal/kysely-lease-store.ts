import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LeaseOptions, LeaseStore } from '../lease-store.js';
import { StoreError } from '../store-error.js';
import type { StoreContext } from './context.js';

const DEFAULT_TTL_SEC = 60;
const DEFAULT_WAIT_SEC = 120;
/** Pause between two attempts to take a held lease, milliseconds. */
const RETRY_MS = 200;

/**
 * Leases over the store's database, the same statements on SQLite and PostgreSQL. Taking one is
 * three statements without a transaction: drop the row if expired, insert ours unless a row
 * exists (the primary key decides between racing processes), read who holds it.
 */
export function createLeaseStore(ctx: StoreContext): LeaseStore {
  const { db } = ctx;

  async function tryTake(name: string, holder: string, ttlSec: number): Promise<string> {
    const now = ctx.now();
    await ctx.exclusive(async () => {
      await db
        .deleteFrom('m2m_leases')
        .where('name', '=', name)
        .where('expires_at', '<=', now)
        .execute();
      await db
        .insertInto('m2m_leases')
        .values({ name, holder, expires_at: now + ttlSec })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    });
    const row = await db
      .selectFrom('m2m_leases')
      .select('holder')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.holder ?? '';
  }

  return {
    async run<T>(name: string, fn: () => Promise<T>, options: LeaseOptions = {}): Promise<T> {
      const ttlSec = options.ttlSec ?? DEFAULT_TTL_SEC;
      const waitSec = options.waitSec ?? DEFAULT_WAIT_SEC;
      const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
      const deadline = Date.now() + waitSec * 1000;
      for (;;) {
        const current = await tryTake(name, holder, ttlSec);
        if (current === holder) break;
        if (Date.now() >= deadline) {
          const who = current.split(':').slice(0, 2).join(':') || 'another process';
          throw new StoreError(
            'ERR_LEASE_BUSY',
            `the lease "${name}" is held by ${who} (waited ${waitSec} s); retry when it is done`,
          );
        }
        await sleep(RETRY_MS);
      }

      const renew = setInterval(
        () => {
          void ctx
            .exclusive(() =>
              db
                .updateTable('m2m_leases')
                .set({ expires_at: ctx.now() + ttlSec })
                .where('name', '=', name)
                .where('holder', '=', holder)
                .execute(),
            )
            .catch(() => {
              // A missed renewal is retried at the next tick; the lease lasts ttlSec meanwhile.
            });
        },
        Math.max(1, ttlSec / 3) * 1000,
      );
      renew.unref();
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        await ctx
          .exclusive(() =>
            db
              .deleteFrom('m2m_leases')
              .where('name', '=', name)
              .where('holder', '=', holder)
              .execute(),
          )
          .catch(() => {
            // Not released (database gone): it expires after ttlSec.
          });
      }
    },
  };
}
