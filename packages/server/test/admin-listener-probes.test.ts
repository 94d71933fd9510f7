/**
 * `serve --admin-port`: a second listener with `/livez` and `/readyz`, apart from the public one.
 * Readiness follows the database (a cluster of this test's own, stopped and started again), and a
 * draining instance (SIGTERM) is not ready while its public listener still accepts.
 */
import { openStore } from '@m2m-auth/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PgCluster, pgBinariesAvailable, startPgCluster } from './helpers/pg-cluster.js';
import { type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

/** The admin listener's URL, from serve's stderr (the line after "listening on"). */
async function adminUrlOf(served: ServeProcess): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const match = /admin endpoints \(.*\) on (http:\/\/\S+)/.exec(served.stderr());
    if (match?.[1]) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no admin listener:\n${served.stderr()}`);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: await res.json() };
}

/** Polls `url` until `accept` holds (bounded in attempts), and returns the last answer. */
async function pollUntil(
  url: string,
  accept: (answer: { status: number; body: unknown }) => boolean,
  attempts = 200,
): Promise<{ status: number; body: unknown }> {
  let answer = { status: 0, body: undefined as unknown };
  for (let i = 0; i < attempts; i++) {
    answer = await getJson(url).catch((err: unknown) => ({ status: -1, body: String(err) }));
    if (accept(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return answer;
}

describe('the admin listener on SQLite', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let served: ServeProcess[] = [];

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    env = { ...process.env, M2M_AUTH_KEK: randomKek(), DATABASE_URL: database.url };
    delete env['M2M_AUTH_DEBUG'];
  });
  afterEach(async () => {
    for (const child of served) await child.stop();
    served = [];
    await database.drop();
  });

  async function serve(...args: string[]): Promise<ServeProcess> {
    const child = await startServeProcess(args, { env, cwd: database.dir ?? process.cwd() });
    served.push(child);
    return child;
  }

  it('serves the probes on the admin port only, and nothing new without --admin-port', async () => {
    const plain = await serve();
    expect((await fetch(`${plain.url}/livez`)).status).toBe(404);
    expect((await fetch(`${plain.url}/readyz`)).status).toBe(404);
    expect(plain.stderr()).not.toMatch(/admin endpoints/);

    const withAdmin = await serve('--admin-port', '0');
    const admin = await adminUrlOf(withAdmin);
    expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(admin).not.toBe(withAdmin.url);
    expect(await getJson(`${admin}/livez`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(`${admin}/readyz`)).toEqual({ status: 200, body: { status: 'ok' } });
    // The public listener keeps /healthz and gets none of the admin routes; the admin listener
    // serves no OAuth endpoint.
    expect((await fetch(`${withAdmin.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${withAdmin.url}/readyz`)).status).toBe(404);
    expect((await fetch(`${admin}/.well-known/jwks.json`)).status).toBe(404);
    const notFound = await fetch(`${admin}/nothing`);
    expect(notFound.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await notFound.json()).toMatchObject({ error: 'not_found' });
  });

  it('is not ready once SIGTERM is received, while the public listener still accepts', async () => {
    const child = await serve('--admin-port', '0', '--drain-delay', '8000');
    const admin = await adminUrlOf(child);
    expect((await getJson(`${admin}/readyz`)).status).toBe(200);
    child.child.kill('SIGTERM');
    const draining = await pollUntil(`${admin}/readyz`, (answer) => answer.status === 503);
    expect(draining).toEqual({ status: 503, body: { status: 'unavailable', reason: 'draining' } });
    // Still accepting: the drain delay has not run out.
    expect((await fetch(`${child.url}/.well-known/jwks.json`)).status).toBe(200);
    expect(await getJson(`${admin}/livez`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await child.exited).toBe(0);
  });

  it('refuses --admin-host without --admin-port', async () => {
    await expect(serve('--admin-host', '127.0.0.1')).rejects.toThrow(
      /--admin-host applies to --admin-port/,
    );
  });
});

const skipPostgres = dialectUnavailable('postgres') || !pgBinariesAvailable();

describe.skipIf(skipPostgres)(
  '/readyz while PostgreSQL stops and comes back',
  { timeout: 120_000 },
  () => {
    let cluster: PgCluster;
    let served: ServeProcess | undefined;

    afterAll(async () => {
      await served?.stop();
      await cluster?.destroy();
    });

    it('answers 503 "database" while PostgreSQL is down and 200 once it is back', async () => {
      cluster = await startPgCluster();
      const kek = randomKek();
      const store = await openStore({ databaseUrl: cluster.url, kek, pool: { max: 1 } });
      await store.keys.generate('ES256', { state: 'active' });
      await store.close();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: cluster.url,
        M2M_AUTH_KEK: kek,
      };
      delete env['M2M_AUTH_DEBUG'];
      served = await startServeProcess(['--admin-port', '0', '--pg-connect-timeout', '2000'], {
        env,
        cwd: process.cwd(),
      });
      const admin = await adminUrlOf(served);
      expect(await getJson(`${admin}/readyz`)).toEqual({ status: 200, body: { status: 'ok' } });

      await cluster.stop();
      const down = await pollUntil(`${admin}/readyz`, (answer) => answer.status === 503);
      expect(down).toEqual({ status: 503, body: { status: 'unavailable', reason: 'database' } });
      // Liveness does not follow the database: restarting the process would not help.
      expect(await getJson(`${admin}/livez`)).toEqual({ status: 200, body: { status: 'ok' } });
      // Failed revision checks are counted, and a scrape still answers while the database is down.
      const metrics = await (await fetch(`${admin}/metrics`)).text();
      const failed = /^m2m_auth_database_errors_total\{operation="revision_check"\} (\d+)$/m.exec(
        metrics,
      );
      expect(Number(failed?.[1])).toBeGreaterThan(0);

      await cluster.start();
      const back = await pollUntil(`${admin}/readyz`, (answer) => answer.status === 200);
      expect(back).toEqual({ status: 200, body: { status: 'ok' } });
      expect(served.alive()).toBe(true);
    });
  },
);
