/**
 * `m2m-auth serve` end to end: the compiled CLI in subprocesses (the vitest global setup builds
 * dist/), a temporary SQLite database, and plain fetch as the caller — the README's quick start.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, importSPKI, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestClientCredentials } from './helpers/auth-server.js';
import { CLI_BIN } from './helpers/run-cli.js';
import { type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const run = promisify(execFile);

let database: TestDatabase;
let env: NodeJS.ProcessEnv;
let children: ChildProcess[] = [];

beforeEach(async () => {
  database = await createTestDatabase('sqlite');
  env = { ...process.env, M2M_AUTH_KEK: randomKek(), DATABASE_URL: database.url };
  delete env['M2M_AUTH_DEBUG'];
});
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children = [];
  await database?.drop();
});

function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI_BIN, ...args], { env, cwd: database.dir });
}

/** Starts `m2m-auth serve` and resolves once it says where it listens. */
async function serve(...args: string[]): Promise<ServeProcess> {
  const served = await startServeProcess(args, {
    env,
    cwd: database.dir ?? process.cwd(),
    startTimeoutMs: 20_000,
  });
  children.push(served.child);
  return served;
}

// Each test spawns several CLI processes; on a loaded machine each takes seconds to start.
describe('m2m-auth serve', { timeout: 90_000 }, () => {
  it('generates a key on an empty database, serves tokens that verify against the JWKS and the exported PEM, and stops on SIGTERM', async () => {
    const created = JSON.parse(
      (
        await cli(
          'client',
          'create',
          'ms_admin',
          '--audiences',
          'ms_doctor',
          '--scopes',
          'doctors:read',
          '--json',
        )
      ).stdout,
    ) as { client_id: string; client_secret: string };

    const served = await serve();
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(served.stderr()).toMatch(/no signing key in the database: generated RS256 key \S+/);

    const res = await requestClientCredentials(
      served.url,
      created.client_id,
      created.client_secret,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe('doctors:read');

    const jwks = createRemoteJWKSet(new URL(`${served.url}/.well-known/jwks.json`));
    const viaJwks = await jwtVerify(body.access_token, jwks, {
      issuer: served.url,
      audience: 'ms_doctor',
      typ: 'at+jwt',
    });
    expect(viaJwks.payload.client_id).toBe(created.client_id);

    await cli('keys', 'export-public', '--out', 'oauth-public.key');
    const pem = readFileSync(join(database.dir!, 'oauth-public.key'), 'utf8');
    const viaPem = await jwtVerify(body.access_token, await importSPKI(pem, 'RS256'), {
      issuer: served.url,
      audience: 'ms_doctor',
    });
    expect(viaPem.payload.sub).toBe(created.client_id);

    // Logs are JSON lines and carry neither the secret nor the token.
    const logs = served.stdout();
    expect(logs).toContain('"msg":"m2m-auth serving"');
    expect(logs).not.toContain(created.client_secret);
    expect(logs).not.toContain(body.access_token.split('.')[2]);

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.stderr()).toMatch(/stopped/);
  });

  it('stops issuing to a client revoked through the CLI while it runs', async () => {
    const created = JSON.parse(
      (await cli('client', 'create', 'ms_admin', '--audiences', 'ms_doctor', '--json')).stdout,
    ) as { client_id: string; client_secret: string };
    const served = await serve();
    expect(
      (await requestClientCredentials(served.url, created.client_id, created.client_secret)).status,
    ).toBe(200);
    await cli('client', 'revoke', 'ms_admin');
    const refused = await requestClientCredentials(
      served.url,
      created.client_id,
      created.client_secret,
    );
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    served.child.kill('SIGINT');
    expect(await served.exited).toBe(0);
  });

  it('uses the given issuer and keeps an existing key', async () => {
    await cli('keys', 'generate', '--alg', 'ES256');
    const served = await serve('--issuer', 'https://auth.example.internal');
    expect(served.stderr()).not.toMatch(/generated/);
    const meta = (await (
      await fetch(`${served.url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(meta.issuer).toBe('https://auth.example.internal');
    expect(meta.token_endpoint).toBe('https://auth.example.internal/oauth/token');
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('fails with one line and exit code 1 for an invalid issuer', async () => {
    const failed = await cli('serve', '--port', '0', '--issuer', 'not a url').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed?.stderr).toMatch(/^m2m-auth: error: .*issuer/);
  });

  it('fails with a readable error when the port is taken', async () => {
    const first = await serve();
    const port = new URL(first.url).port;
    const failed = await cli('serve', '--port', port).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^m2m-auth: error: .*EADDRINUSE/m);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('documents its options and an example in --help', async () => {
    const { stdout } = await cli('serve', '--help');
    for (const option of ['--port', '--host', '--issuer', '--database', '--jwks-max-age']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toMatch(/Examples?:\n\s+\$ m2m-auth serve/);
  });
});
