/**
 * Graceful shutdown of `m2m-auth serve` (the compiled CLI in a subprocess): on SIGTERM a request
 * in flight still gets its answer, queued audit events reach the table, and a request that never
 * finishes is cut off after `--shutdown-timeout` so the process always exits.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/async.js';
import { basicAuth } from './helpers/auth-server.js';
import { runCliProcess } from './helpers/run-cli.js';
import { type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let env: Record<string, string>;
let sockets: Socket[] = [];

beforeEach(async () => {
  database = await createTestDatabase('sqlite');
  env = { DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
});
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
  for (const served of started.splice(0)) if (served.alive()) served.child.kill('SIGKILL');
  await database?.drop();
});

const started: ServeProcess[] = [];

async function serve(...args: string[]): Promise<ServeProcess & { origin: URL }> {
  const served = await startServeProcess(args, {
    cwd: database.dir ?? '.',
    env: { ...process.env, ...env },
  });
  started.push(served);
  return { ...served, origin: new URL(served.url) };
}

/**
 * Starts a token request and resolves once the server has dispatched it (its `100 Continue`),
 * with a function that sends the rest of the body and a promise of everything received.
 */
async function startRequest(
  url: URL,
  authorization: string,
): Promise<{ finish: () => void; received: Promise<string> }> {
  const body = 'grant_type=client_credentials';
  const socket = connect(Number(url.port), url.hostname);
  sockets.push(socket);
  let data = '';
  const received = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(data));
  });
  socket.on('data', (chunk) => {
    data += chunk.toString('utf8');
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `POST /oauth/token HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${authorization}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n` +
      'Expect: 100-continue\r\nConnection: close\r\n\r\n',
  );
  await until('the server sends 100 Continue', () => data.includes('100 Continue'), {
    intervalMs: 20,
  });
  return { finish: () => socket.write(body), received };
}

describe('graceful shutdown of m2m-auth serve', { timeout: 90_000 }, () => {
  it('answers a request in flight when SIGTERM arrives, writes queued audit events, then exits 0', async () => {
    const created = await runCliProcess(
      ['client', 'create', 'ms_admin', '--audiences', 'ms_doctor', '--json'],
      { cwd: database.dir ?? '.', env },
    );
    const { client_id, client_secret } = JSON.parse(created.stdout) as Record<string, string>;
    const served = await serve('--audit-store');
    const inFlight = await startRequest(
      served.origin,
      basicAuth(client_id ?? '', client_secret ?? ''),
    );

    served.child.kill('SIGTERM');
    await until(
      'the server says it is shutting down',
      () => served.stdout().includes('shutting down'),
      {
        intervalMs: 20,
      },
    );
    // New connections are no longer accepted...
    await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
    // ...but the request already received is answered.
    inFlight.finish();
    const reply = await inFlight.received;
    expect(reply).toMatch(/HTTP\/1\.1 200 OK/);
    expect(reply).toContain('"access_token"');
    expect(await served.exited).toBe(0);

    const tail = await runCliProcess(['audit', 'tail', '--json'], {
      cwd: database.dir ?? '.',
      env,
    });
    expect(JSON.parse(tail.stdout)).toEqual([
      expect.objectContaining({ outcome: 'issued', client_id, status: 200 }),
    ]);
  });

  it('closes a request that does not finish within --shutdown-timeout, and exits', async () => {
    const served = await serve('--shutdown-timeout', '300', '--request-timeout', '600000');
    const stuck = await startRequest(served.origin, basicAuth('someone', 'something'));
    served.child.kill('SIGTERM');
    // Never finished: the server closes the connection once the shutdown timeout has passed.
    await stuck.received;
    expect(await served.exited).toBe(0);
    expect(served.stdout()).toContain('shutdown timeout: closing open connections');
  });
});
