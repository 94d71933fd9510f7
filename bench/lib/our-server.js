// Our authorization server for the benchmark: a temp SQLite database with one signing key and one
// client, served by `m2m-auth serve` exactly as in production (default --log-level info, pino
// JSON lines on stdout, which go to a file here as they would to a log collector).
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@m2m-auth/server';
import { SERVER_CORE, startPinned } from './processes.js';

/** The CLI launcher as installed (`node_modules/.bin/m2m-auth` points at it): <pkg>/bin. */
export const CLI = fileURLToPath(
  new URL('../bin/m2m-auth.js', import.meta.resolve('@m2m-auth/server')),
);

/** Audience and scope of every benchmark token. */
export const AUDIENCE = 'bench_api';
export const SCOPE = 'bench:read';

/**
 * Creates `<dir>/<name>.db` with an active `alg` signing key and a client allowed `AUDIENCE` and
 * `SCOPE` (and `revokedClients` more clients, revoked).
 *
 * @returns `{ databaseUrl, kek, clientId, clientSecret, kid }`.
 */
export async function prepareStore(dir, name, alg, { revokedClients = 0 } = {}) {
  const databaseUrl = `sqlite:${join(dir, `${name}.db`)}`;
  const kek = randomBytes(32).toString('base64');
  const store = await openStore({ databaseUrl, kek });
  try {
    const key = await store.keys.generate(alg);
    const { client, clientSecret } = await store.clients.create({
      name: `bench_caller_${name}`,
      scopes: [SCOPE],
      audiences: [AUDIENCE],
    });
    // Revoked clients stay listed in the revocation feed for a token lifetime.
    for (let i = 0; i < revokedClients; i++) {
      const revoked = await store.clients.create({
        name: `bench_revoked_${name}_${i}`,
        scopes: [SCOPE],
        audiences: [AUDIENCE],
      });
      await store.clients.revoke(revoked.client.clientId);
    }
    return { databaseUrl, kek, clientId: client.clientId, clientSecret, kid: key.kid };
  } finally {
    await store.close();
  }
}

/**
 * Runs `m2m-auth serve --database … --port 0` on the server core, its stdout (the JSON log) into
 * `logPath`; `nodeArgs` go to node (e.g. `--cpu-prof`), `args` to `serve` (e.g. `--issuer`),
 * `core` overrides the core.
 *
 * @returns the startPinned handle with `url`.
 */
export async function startCliServer(
  prepared,
  logPath,
  nodeArgs = [],
  { args = [], core = SERVER_CORE } = {},
) {
  const handle = await startPinned({
    core,
    script: CLI,
    nodeArgs,
    args: ['serve', '--database', prepared.databaseUrl, '--port', '0', ...args],
    env: { M2M_AUTH_KEK: prepared.kek },
    stdout: openSync(logPath, 'w'),
    readyPattern: /listening on (http:\/\/[^\s]+)/,
  });
  return { ...handle, url: handle.info[1] };
}

/** Number of lines the server has logged so far. */
export function countLogLines(logPath) {
  const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
  return lines.length;
}
