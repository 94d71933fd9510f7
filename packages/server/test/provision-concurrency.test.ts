/**
 * Two `m2m-auth provision` runs at the same moment on one database take turns (the store's
 * `provision` lease) instead of the second failing midway; and the leases themselves: busy,
 * released after a failure, taken over when their holder died.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@m2m-auth/server';
import { StoreError } from '@m2m-auth/server/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { HOSPITAL_MANIFEST } from './helpers/provision-fixture.js';
import { runCliProcess } from './helpers/run-cli.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

let database: TestDatabase | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await database?.drop();
  database = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each(TEST_DIALECTS)('provision runs at the same moment on %s', (dialect) => {
  it.skipIf(dialectUnavailable(dialect))(
    'both succeed, one creates every client, the other finds them done',
    { timeout: 90_000 },
    async () => {
      database = await createTestDatabase(dialect);
      const dir = mkdtempSync(join(tmpdir(), 'm2m-provision-concurrent-'));
      dirs.push(dir);
      const env = { DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
      const run = () =>
        runCliProcess(['provision', HOSPITAL_MANIFEST, '--env-dir', join(dir, 'env'), '--json'], {
          cwd: dir,
          env,
        });
      const runs = await Promise.all([run(), run()]);
      // Nothing on stderr but, on SQLite, where the new database was created (by either run).
      const created = /^m2m-auth: created a new SQLite database at .*\n/m;
      for (const { code, stderr } of runs)
        expect({ code, stderr: stderr.replace(created, '') }).toEqual({ code: 0, stderr: '' });
      const actions = runs
        .map(({ stdout }) => JSON.parse(stdout) as { clients: { action: string }[] })
        .map((report) => [...new Set(report.clients.map((c) => c.action))].sort().join(','))
        .sort();
      expect(actions).toEqual(['create', 'unchanged']);

      const store = await openStore({ databaseUrl: database.url, kek: env.M2M_AUTH_KEK });
      try {
        expect(await store.clients.list()).toHaveLength(8);
        expect((await store.keys.list()).filter((k) => k.state === 'active')).toHaveLength(1);
      } finally {
        await store.close();
      }
    },
  );
});

describe.each(TEST_DIALECTS)('leases on %s', (dialect) => {
  let stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });
  let kek = '';
  async function twoStores(): Promise<[Store, Store]> {
    database = await createTestDatabase(dialect);
    kek = randomKek();
    stores = [
      await openStore({ databaseUrl: database.url, kek }),
      await openStore({ databaseUrl: database.url, kek }),
    ];
    return stores as [Store, Store];
  }

  it.skipIf(dialectUnavailable(dialect))(
    'makes a second holder wait, then fail with ERR_LEASE_BUSY naming the holder',
    async () => {
      const [a, b] = await twoStores();
      let release!: () => void;
      const held = a.leases.run('job', () => new Promise<void>((resolve) => (release = resolve)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const err = await b.leases.run('job', async () => 'ran', { waitSec: 1 }).catch((e) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'ERR_LEASE_BUSY' });
      expect(err.message).toMatch(/^the lease "job" is held by [^:]+:\d+ \(waited 1 s\)/);
      // A different name is not blocked; and once released, the name is free again.
      expect(await b.leases.run('other', async () => 'ran')).toBe('ran');
      release();
      await held;
      expect(await b.leases.run('job', async () => 'ran', { waitSec: 1 })).toBe('ran');
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'is released when the work throws, and taken over once its holder stopped renewing it',
    async () => {
      const [a, b] = await twoStores();
      await expect(
        a.leases.run('job', async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await b.leases.run('job', async () => 'ran', { waitSec: 1 })).toBe('ran');

      // A holder that died: a process takes the lease (ttl 2 s) and is killed while holding it.
      const holder = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { openStore } from '@m2m-auth/server';
           const store = await openStore({ databaseUrl: process.env.DATABASE_URL, kek: process.env.M2M_AUTH_KEK });
           await store.leases.run('job', () => { process.stdout.write('held\\n'); return new Promise(() => {}); }, { ttlSec: 2 });`,
        ],
        {
          cwd: import.meta.dirname,
          env: { ...process.env, DATABASE_URL: (database as TestDatabase).url, M2M_AUTH_KEK: kek },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      try {
        await new Promise<void>((resolve, reject) => {
          holder.stdout.on('data', (chunk) => String(chunk).includes('held') && resolve());
          holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
        });
        holder.kill('SIGKILL');
        await once(holder, 'exit');
        await expect(
          b.leases.run('job', async () => 'ran', { waitSec: 0.5 }),
        ).rejects.toMatchObject({ code: 'ERR_LEASE_BUSY' });
        // Within its ttl, plus one retry interval.
        const started = Date.now();
        expect(await b.leases.run('job', async () => 'ran', { waitSec: 10 })).toBe('ran');
        expect(Date.now() - started).toBeLessThan(5_000);
      } finally {
        holder.kill('SIGKILL');
      }
    },
  );
});
