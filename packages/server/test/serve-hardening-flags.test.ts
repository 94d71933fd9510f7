/**
 * The hardening flags of `m2m-auth serve`, end to end with the compiled CLI in subprocesses:
 * failure limits, audit lines and the audit table, and their help.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliProcess } from './helpers/run-cli.js';
import {
  requestToken,
  runCliJson,
  type ServeProcess,
  startServeProcess,
} from './helpers/serve-process.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let env: NodeJS.ProcessEnv;
const started: ServeProcess[] = [];
beforeEach(async () => {
  database = await createTestDatabase('sqlite');
  env = { ...process.env, DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
});
afterEach(async () => {
  for (const served of started.splice(0)) await served.stop(5_000);
  await database?.drop();
});

async function serve(...args: string[]): Promise<ServeProcess> {
  const served = await startServeProcess(args, { env, cwd: database.dir ?? '.' });
  started.push(served);
  return served;
}

function createClient(): Promise<{ clientId: string; clientSecret: string }> {
  return runCliJson<{ client_id: string; client_secret: string }>(
    ['client', 'create', 'ms_admin', '--audiences', 'ms_doctor', '--scopes', 'doctors:read'],
    { env, cwd: database.dir ?? '.' },
  ).then((created) => ({ clientId: created.client_id, clientSecret: created.client_secret }));
}

describe('m2m-auth serve hardening flags', { timeout: 90_000 }, () => {
  it('limits failed authentications as the flags say, and logs each refusal as an audit line', async () => {
    const client = await createClient();
    const served = await serve(
      '--max-failures-per-client-address',
      '2',
      '--auth-failure-block',
      '2m',
    );
    const wrong = { clientId: client.clientId, clientSecret: 'wrong' };
    expect((await requestToken(served.url, wrong)).status).toBe(401);
    expect((await requestToken(served.url, wrong)).status).toBe(401);
    const limited = await requestToken(served.url, client);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('120');
    expect(await limited.json()).toMatchObject({ error: 'temporarily_unavailable' });

    await served.stop();
    const audit = served
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"audit":'))
      .map((line) => JSON.parse(line).audit as Record<string, unknown>);
    expect(audit.map((event) => [event['status'], event['reason']])).toEqual([
      [401, 'ERR_CLIENT_AUTH_FAILED'],
      [401, 'ERR_CLIENT_AUTH_FAILED'],
      [429, 'ERR_CLIENT_AUTH_RATE_LIMITED'],
    ]);
    expect(served.stdout()).not.toContain(client.clientSecret);
  });

  it('does not limit with --no-auth-failure-limit', async () => {
    const client = await createClient();
    const served = await serve('--no-auth-failure-limit');
    for (let i = 0; i < 12; i += 1) {
      const res = await requestToken(served.url, { ...client, clientSecret: 'wrong' });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    expect((await requestToken(served.url, client)).status).toBe(200);
  });

  it('keeps audit events in the database with --audit-store, for audit tail', async () => {
    const client = await createClient();
    const served = await serve('--audit-store', '--audit-retention', '7d');
    expect((await requestToken(served.url, client)).status).toBe(200);
    await served.stop();
    const tail = await runCliProcess(['audit', 'tail', '--client', 'ms_admin'], {
      cwd: database.dir ?? '.',
      env: { DATABASE_URL: database.url, M2M_AUTH_KEK: env['M2M_AUTH_KEK'] ?? '' },
    });
    expect(tail.stdout).toMatch(/issued\s+ms_admin\s+ms_doctor\s+doctors:read/);
  });

  it('writes no audit event to the database without --audit-store', async () => {
    const client = await createClient();
    const served = await serve();
    expect((await requestToken(served.url, client)).status).toBe(200);
    await served.stop();
    const tail = await runCliProcess(['audit', 'tail'], {
      cwd: database.dir ?? '.',
      env: { DATABASE_URL: database.url, M2M_AUTH_KEK: env['M2M_AUTH_KEK'] ?? '' },
    });
    expect(tail.stdout).toMatch(/^No audit events/);
  });

  it('refuses malformed hardening flags with one line and exit code 1', async () => {
    for (const args of [
      ['--audit-retention', 'forever'],
      ['--max-failures-per-address', '0'],
      ['--request-timeout', '0'],
      ['--auth-failure-window', '5 minutes'],
    ]) {
      const { code, stderr } = await runCliProcess(['serve', '--port', '0', ...args], {
        cwd: database.dir ?? '.',
        env: { DATABASE_URL: database.url },
      });
      expect(code, args.join(' ')).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('documents the hardening flags in --help', async () => {
    const { stdout } = await runCliProcess(['serve', '--help'], { cwd: database.dir ?? '.' });
    for (const flag of [
      '--audit-store',
      '--audit-retention',
      '--no-auth-failure-limit',
      '--auth-failure-window',
      '--auth-failure-block',
      '--max-failures-per-client-address',
      '--max-failures-per-address',
      '--max-failures-per-client',
      '--trust-proxy',
      '--request-timeout',
      '--shutdown-timeout',
    ]) {
      expect(stdout).toContain(flag);
    }
  });
});
