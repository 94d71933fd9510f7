/**
 * Two `m2m-auth serve` processes on a PostgreSQL cluster of this test's own, under a bounded load
 * loop, while the database restarts and while it is down for a while. The instances must answer
 * 503 with a JSON body (and /healthz say `database`) — never another 5xx, never crash or hang —
 * recover by themselves, hold no more connections than their pools allow, and lose nothing.
 */
import { openStore, type Store } from '@m2m-auth/server';
import type { ClientRecord } from '@m2m-auth/server/clients';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PgCluster, pgBinariesAvailable, startPgCluster } from './helpers/pg-cluster.js';
import { requestToken, type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import { dialectUnavailable, randomKek } from './helpers/test-database.js';

/** Connections each instance may hold (--pg-pool-max). */
const POOL_MAX = 3;
/** A request that takes longer than this counts as a hang, ms (pool waits are at most 2000). */
const REQUEST_TIMEOUT_MS = 15_000;
/** Upper bound of requests per load loop, whatever the machine's speed. */
const MAX_REQUESTS = 20_000;
const CONCURRENCY = 8;
const CLIENTS = 40;

interface Credentials {
  clientId: string;
  clientSecret: string;
}

/** What a load loop saw: counts by `<kind> <status>`, and everything that must not happen. */
interface LoadReport {
  requests: number;
  counts: Record<string, number>;
  /** Network errors, timeouts, 5xx other than 503, 503s without the expected JSON. */
  problems: string[];
  /** Most `m2m-auth` connections pg_stat_activity showed at once. */
  maxConnections: number;
}

type Kind = 'token' | 'jwks' | 'healthz';

const skip = dialectUnavailable('postgres') || !pgBinariesAvailable();

describe.skipIf(skip)(
  'two instances while PostgreSQL restarts or is down',
  { timeout: 120_000 },
  () => {
    let cluster: PgCluster;
    let store: Store;
    let instances: ServeProcess[] = [];
    const clients: Credentials[] = [];
    let before: { clients: ClientRecord[]; kids: string[] };
    const reports: Record<string, LoadReport> = {};

    beforeAll(async () => {
      cluster = await startPgCluster();
      const kek = randomKek();
      // The test's own handle (one connection): creates clients, and bumps the revision during the
      // load so that the instances keep going back to the database instead of serving from cache.
      store = await openStore({ databaseUrl: cluster.url, kek, pool: { max: 1 } });
      for (let i = 0; i < CLIENTS; i++) {
        const { client, clientSecret } = await store.clients.create({
          name: `ms_${i}`,
          audiences: ['ms_doctor'],
        });
        clients.push({ clientId: client.clientId, clientSecret });
      }
      await store.clients.create({ name: 'ms_churn', scopes: ['a'] });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: cluster.url,
        M2M_AUTH_KEK: kek,
      };
      delete env['M2M_AUTH_DEBUG'];
      const args = ['--pg-pool-max', String(POOL_MAX), '--pg-connect-timeout', '2000'];
      instances = await Promise.all(
        [0, 1].map(() => startServeProcess(args, { env, cwd: process.cwd() })),
      );
      before = await inventory();
    });

    afterAll(async () => {
      const codes = await Promise.all(instances.map((instance) => instance.stop()));
      await store?.close();
      await cluster?.destroy();
      for (const [name, report] of Object.entries(reports)) {
        console.info(
          `${name}: ${report.requests} requests, max ${report.maxConnections} m2m-auth connections (pools allow ${2 * POOL_MAX} + 1): ${JSON.stringify(report.counts)}`,
        );
      }
      // Graceful shutdown still works after the outages.
      expect(codes).toEqual(instances.map(() => 0));
    });

    async function inventory(): Promise<{ clients: ClientRecord[]; kids: string[] }> {
      return {
        clients: await store.clients.list(),
        kids: (await store.keys.list()).map((key) => key.kid).sort(),
      };
    }

    /** Runs the load loop until `stop()`; the loop also ends by itself after MAX_REQUESTS. */
    function startLoad(options: { churn: boolean }): { stop(): Promise<LoadReport> } {
      const report: LoadReport = { requests: 0, counts: {}, problems: [], maxConnections: 0 };
      let stopped = false;
      const one = async (n: number): Promise<void> => {
        const instance = instances[n % instances.length]!;
        const kind: Kind = n % 10 === 0 ? 'healthz' : n % 10 === 1 ? 'jwks' : 'token';
        try {
          const res =
            kind === 'token'
              ? await requestToken(instance.url, clients[n % clients.length]!, {
                  timeoutMs: REQUEST_TIMEOUT_MS,
                })
              : await fetch(
                  `${instance.url}${kind === 'jwks' ? '/.well-known/jwks.json' : '/healthz'}`,
                  {
                    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
                  },
                );
          const text = await res.text();
          const key = `${kind} ${res.status}`;
          report.counts[key] = (report.counts[key] ?? 0) + 1;
          if (res.status === 200) return;
          if (res.status !== 503) {
            report.problems.push(`${key}: ${text.slice(0, 200)}`);
            return;
          }
          let body: Record<string, unknown> | undefined;
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // reported below
          }
          const expected =
            kind === 'healthz'
              ? body?.status === 'unavailable' && body.reason === 'database'
              : body?.error === 'temporarily_unavailable';
          if (!expected) report.problems.push(`${key} with body ${text.slice(0, 200)}`);
        } catch (err) {
          report.problems.push(`${kind}: ${(err as Error).name}: ${(err as Error).message}`);
        }
      };
      const workers = Array.from({ length: CONCURRENCY }, async () => {
        while (!stopped && report.requests < MAX_REQUESTS) {
          await one(report.requests++);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      });
      // Changes keep dropping the instances' caches, as an administrator's would.
      let churn = 0;
      const churner = setInterval(() => {
        if (!options.churn) return;
        store.clients.update('ms_churn', { scopes: [`s${churn++ % 2}`] }).catch(() => {});
      }, 300);
      const sampler = setInterval(() => {
        countConnections(cluster.url).then(
          (count) => {
            report.maxConnections = Math.max(report.maxConnections, count);
          },
          () => {}, // the database is down
        );
      }, 200);
      return {
        async stop() {
          stopped = true;
          clearInterval(churner);
          clearInterval(sampler);
          await Promise.all(workers);
          return report;
        },
      };
    }

    /** Waits until both instances serve tokens and report healthy again. */
    async function untilRecovered(): Promise<void> {
      await vi.waitFor(
        async () => {
          for (const instance of instances) {
            const health = await fetch(`${instance.url}/healthz`, {
              signal: AbortSignal.timeout(5_000),
            });
            expect(health.status).toBe(200);
            const token = await requestToken(instance.url, clients[0]!, { timeoutMs: 5_000 });
            expect(token.status).toBe(200);
          }
        },
        { timeout: 30_000, interval: 200 },
      );
    }

    function expectSurvived(report: LoadReport): void {
      expect(report.problems).toEqual([]);
      for (const instance of instances) expect(instance.alive()).toBe(true);
      expect(report.maxConnections).toBeLessThanOrEqual(2 * POOL_MAX + 1);
      expect(report.requests).toBeLessThanOrEqual(MAX_REQUESTS + CONCURRENCY);
    }

    it('survives a PostgreSQL restart in the middle of a load loop with no 5xx but 503 and nothing lost', async () => {
      const load = startLoad({ churn: true });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await cluster.restart();
      await untilRecovered();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const report = await load.stop();
      reports['restart'] = report;
      expectSurvived(report);
      expect(report.counts['token 200']).toBeGreaterThan(0);
      const after = await inventory();
      expect(after.kids).toEqual(before.kids);
      expect(after.clients.map((c) => c.clientId)).toEqual(before.clients.map((c) => c.clientId));
    });

    it('answers 503 with JSON while PostgreSQL is down, says why in /healthz, and recovers by itself', async () => {
      // No churn here: every instance has every client and its keys in cache when the database
      // goes, so what refuses them below is the staleness bound, not a failed lookup.
      const load = startLoad({ churn: false });
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const instance of instances) {
        expect((await requestToken(instance.url, clients[0]!)).status).toBe(200);
        expect((await fetch(`${instance.url}/.well-known/jwks.json`)).status).toBe(200);
      }
      await cluster.stop();
      try {
        for (const instance of instances) {
          await vi.waitFor(
            async () => {
              const res = await fetch(`${instance.url}/healthz`, {
                signal: AbortSignal.timeout(5_000),
              });
              expect(res.status).toBe(503);
              expect(await res.json()).toEqual({ status: 'unavailable', reason: 'database' });
            },
            { timeout: 10_000, interval: 100 },
          );
        }
        // Even a cached client, and the JWKS, are refused once the cache can no longer be confirmed
        // current (maxStaleMs, 5 s): a revocation made meanwhile elsewhere must not be missed.
        for (const instance of instances) {
          await vi.waitFor(
            async () => {
              const res = await requestToken(instance.url, clients[0]!, { timeoutMs: 5_000 });
              expect(res.status).toBe(503);
              expect(res.headers.get('retry-after')).toBe('2');
              expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
              const jwks = await fetch(`${instance.url}/.well-known/jwks.json`, {
                signal: AbortSignal.timeout(5_000),
              });
              expect(jwks.status).toBe(503);
              expect(jwks.headers.get('retry-after')).toBe('2');
              expect(await jwks.json()).toMatchObject({ error: 'temporarily_unavailable' });
            },
            { timeout: 15_000, interval: 200 },
          );
        }
      } finally {
        await cluster.start();
      }
      await untilRecovered();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const report = await load.stop();
      reports['down'] = report;
      expectSurvived(report);
      expect(report.counts['healthz 503']).toBeGreaterThan(0);
      expect(report.counts['token 503']).toBeGreaterThan(0);
      expect(report.counts['jwks 503']).toBeGreaterThan(0);
      const after = await inventory();
      expect(after.kids).toEqual(before.kids);
      expect(after.clients.map((c) => c.clientId)).toEqual(before.clients.map((c) => c.clientId));

      for (const instance of instances) {
        const logs = instance.stdout();
        // The outage is logged when it starts and when it ends, not once per revision check.
        const down = logs
          .split('\n')
          .filter((line) => line.includes('the database does not answer'));
        expect(down.length).toBeGreaterThanOrEqual(1);
        expect(down.length).toBeLessThanOrEqual(2);
        expect(logs).toContain('the database answers again');
      }
    });
  },
);

async function countConnections(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>(
      "select count(*) from pg_stat_activity where application_name = 'm2m-auth'",
    );
    return Number(rows[0]?.count ?? 0);
  } finally {
    await client.end().catch(() => {});
  }
}
