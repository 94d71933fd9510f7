/**
 * The revocation promise, measured with real processes: `m2m-auth serve` (SQLite), the CLI, and
 * two receiving services — one verifying from the JWKS URL, one from a key file written by
 * `m2m-auth keys export-public --all` — each polling `GET /revocations`. A caller holds valid
 * tokens; the operator revokes its client, and separately one token of another client. Every
 * receiver must refuse the covered token within the documented bound (the poll interval plus one
 * fetch, `revocationsPollIntervalSec` + `revocationsTimeoutMs`) while other tokens keep passing.
 * Then the auth-service goes down: the receivers keep deciding with the last list until it is
 * `revocationsMaxStaleSec` old, then refuse every token with 503 (the default,
 * `revocationsWhenStale: "refuse"`).
 *
 * The observed delays are printed, not compared with anything but the documented bound.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI_BIN = join(import.meta.dirname, '..', 'packages', 'server', 'bin', 'm2m-auth.js');
const RECEIVER = join(import.meta.dirname, 'fixtures', 'revocation-receiver.js');
const ISSUER_HOST = '127.0.0.1';
/** The receivers' poll interval, seconds. */
const POLL_SEC = 1;
/** The verifier's default `revocationsTimeoutMs`: the "one fetch" of the bound. */
const FETCH_TIMEOUT_MS = 2_000;
const BOUND_MS = POLL_SEC * 1000 + FETCH_TIMEOUT_MS;
/** The receivers' `revocationsMaxStaleSec` (short, so the degraded phase is quick). */
const MAX_STALE_SEC = 3;

interface Proc {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

function start(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  toUrl: (match: RegExpMatchArray) => string,
): Promise<Proc> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start:\n${err}`));
    }, 30_000);
    const look = () => {
      const match = (out + err).match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: toUrl(match), stderr: () => err, stop });
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      look();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      look();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${err}`));
    });
  });
}

function cli<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args, '--json'],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`m2m-auth ${args.join(' ')}: ${stderr || error}`));
        else resolve(JSON.parse(stdout) as T);
      },
    );
  });
}

async function check(receiver: Proc, token: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${receiver.url}/check`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, ...(body.code === undefined ? {} : { code: body.code }) };
}

/** Milliseconds from now until `receiver` refuses `token` as revoked (polled every 20 ms). */
async function timeToRefusal(receiver: Proc, token: string, since: number): Promise<number> {
  for (;;) {
    const result = await check(receiver, token);
    if (result.status === 401 && result.code === 'ERR_TOKEN_REVOKED') {
      return performance.now() - since;
    }
    expect(result.status).toBe(200);
    if (performance.now() - since > BOUND_MS * 3) throw new Error('never refused');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const observed: string[] = [];

describe('revocation reaches every receiver within the poll interval plus one fetch', {
  timeout: 120_000,
}, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let auth: Proc;
  let receivers: { name: string; proc: Proc }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-auth-revocation-'));
    env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'auth.db')}` };
    delete env['M2M_AUTH_DEBUG'];
    await cli(['migrate'], env);
    await cli(['keys', 'generate'], env);
    auth = await start(
      [CLI_BIN, 'serve', '--port', '0', '--host', ISSUER_HOST],
      env,
      /listening on (http:\/\/\S+)/,
      (match) => match[1]!.replace(/\/+$/, ''),
    );
    const keyFile = join(dir, 'jwks.json');
    await cli(['keys', 'export-public', '--all', '--out', keyFile], env);
    const common = {
      ...process.env,
      ISSUER: auth.url,
      REVOCATIONS_URI: `${auth.url}/revocations`,
      POLL_SEC: String(POLL_SEC),
      MAX_STALE_SEC: String(MAX_STALE_SEC),
    };
    const ready = /listening (\d+)/;
    const toUrl = (match: RegExpMatchArray) => `http://127.0.0.1:${match[1]}`;
    receivers = [
      {
        name: 'JWKS-URL receiver',
        proc: await start(
          [RECEIVER],
          { ...common, JWKS_URI: `${auth.url}/.well-known/jwks.json` },
          ready,
          toUrl,
        ),
      },
      {
        name: 'key-file receiver',
        proc: await start([RECEIVER], { ...common, KEY_PATH: keyFile }, ready, toUrl),
      },
    ];
  });

  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.proc.stop()));
    await auth?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (observed.length > 0) {
      console.info(`revocation delays (bound ${BOUND_MS} ms):\n  ${observed.join('\n  ')}`);
    }
  });

  async function tokenOf(credentials: { client_id: string; client_secret: string }) {
    const res = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.client_id}:${credentials.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(200);
    return String(((await res.json()) as { access_token: string }).access_token);
  }

  const createClient = (name: string) =>
    cli<{ client_id: string; client_secret: string }>(
      ['client', 'create', name, '--audiences', 'ms_doctor', '--scopes', 'doctors:read'],
      env,
    );

  it('revoking a client, then one token, is enforced by both receivers within the bound; other tokens keep passing; then the feed goes down', async () => {
    const compromised = await createClient('ms_compromised');
    const healthy = await createClient('ms_healthy');
    const compromisedToken = await tokenOf(compromised);
    const healthyToken = await tokenOf(healthy);
    const healthyToken2 = await tokenOf(healthy);
    for (const { proc } of receivers) {
      expect(await check(proc, compromisedToken)).toEqual({ status: 200 });
      expect(await check(proc, healthyToken)).toEqual({ status: 200 });
      expect(await check(proc, healthyToken2)).toEqual({ status: 200 });
    }

    // The client: measured from the moment the CLI command has returned.
    await cli(['client', 'revoke', 'ms_compromised'], env);
    let since = performance.now();
    const clientDelays = await Promise.all(
      receivers.map(({ proc }) => timeToRefusal(proc, compromisedToken, since)),
    );
    for (const [i, { name }] of receivers.entries()) {
      observed.push(`client revoke → ${name}: ${Math.round(clientDelays[i]!)} ms`);
      expect(clientDelays[i]).toBeLessThanOrEqual(BOUND_MS);
    }

    // One token, by jti.
    await cli(['token', 'revoke', String(decodeJwt(healthyToken2).jti)], env);
    since = performance.now();
    const tokenDelays = await Promise.all(
      receivers.map(({ proc }) => timeToRefusal(proc, healthyToken2, since)),
    );
    for (const [i, { name }] of receivers.entries()) {
      observed.push(`token revoke → ${name}: ${Math.round(tokenDelays[i]!)} ms`);
      expect(tokenDelays[i]).toBeLessThanOrEqual(BOUND_MS);
    }
    for (const { proc } of receivers) {
      expect(await check(proc, healthyToken)).toEqual({ status: 200 });
    }

    // The auth-service goes down: within revocationsMaxStaleSec the last list decides...
    await auth.stop();
    const downAt = performance.now();
    for (const { proc } of receivers) {
      expect(await check(proc, healthyToken)).toEqual({ status: 200 });
      expect(await check(proc, compromisedToken)).toMatchObject({ status: 401 });
      expect(await check(proc, healthyToken2)).toMatchObject({ status: 401 });
    }
    // ...then every receiver refuses every token with 503 until the feed is back (the default).
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, MAX_STALE_SEC * 1000 + 1_500 - (performance.now() - downAt))),
    );
    for (const { name, proc } of receivers) {
      const result = await check(proc, healthyToken);
      expect(result, name).toEqual({ status: 503, code: 'ERR_REVOCATIONS_UNAVAILABLE' });
      const status = (await (await fetch(`${proc.url}/status`)).json()) as {
        stale: boolean;
        lastError?: string;
      };
      expect(status.stale).toBe(true);
      expect(status.lastError).toBeTruthy();
      expect(proc.stderr()).toMatch(/revocation feed .* unreachable/);
      expect(proc.stderr()).toMatch(/refusing tokens/);
    }
  });
});
