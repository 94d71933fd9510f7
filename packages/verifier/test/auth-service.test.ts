/**
 * Against the real m2m-auth authorization server (`startServer` of @m2m-auth/server on a SQLite
 * file, 127.0.0.1 port 0) and its real CLI: tokens from POST /oauth/token protect an Express route
 * through the JWKS URL and a Fastify route through the PEM file `m2m-auth keys export-public`
 * writes; a rotation is followed and a revocation takes effect within the refresh interval.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@m2m-auth/server';
import { createVerifier, VerifierError } from '@m2m-auth/verifier';
import { requireToken } from '@m2m-auth/verifier/express';
import { fastifyVerifier } from '@m2m-auth/verifier/fastify';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

const CLI = join(import.meta.dirname, '../../server/bin/m2m-auth.js');

let dir: string;
let databaseUrl: string;
let auth: RunningServer;
let client: { clientId: string; clientSecret: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verifier-auth-service-'));
  databaseUrl = `sqlite:${join(dir, 'm2m-auth.db')}`;
  // The key-encryption key the server and the CLI subprocess (which inherits the environment) share.
  process.env['M2M_AUTH_KEK'] = randomBytes(32).toString('base64');
  auth = await startServer({ databaseUrl, port: 0, host: '127.0.0.1' });
  const created = await auth.store.clients.create({
    name: 'ms_reception',
    scopes: ['doctors:read', 'patients:read'],
    audiences: ['ms_doctor'],
  });
  client = { clientId: created.client.clientId, clientSecret: created.clientSecret };
});

afterAll(async () => {
  await auth?.close();
  rmSync(dir, { recursive: true, force: true });
  delete process.env['M2M_AUTH_KEK'];
});

afterEach(() => {
  vi.useRealTimers();
});

async function getToken(scope = 'doctors:read'): Promise<string> {
  const basic = Buffer.from(
    `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
  ).toString('base64');
  const res = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, timeout: 30_000 },
      (error, _out, stderr) => {
        resolve({ code: error ? 1 : 0, stderr });
      },
    );
  });
}

describe('tokens from the real auth-service', () => {
  it('protect an Express route through the JWKS URL', async () => {
    const verifier = createVerifier({
      issuer: auth.issuer,
      audience: 'ms_doctor',
      jwksUri: `${auth.url}/.well-known/jwks.json`,
    });
    const app = express();
    app.get('/doctors', requireToken({ verifier, scopes: ['doctors:read'] }), (req, res) => {
      res.json({ caller: req.auth?.clientId });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/doctors`;
    try {
      const ok = await fetch(url, { headers: { authorization: `Bearer ${await getToken()}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ caller: client.clientId });
      const wrongScope = await fetch(url, {
        headers: { authorization: `Bearer ${await getToken('patients:read')}` },
      });
      expect(wrongScope.status).toBe(403);
      expect((await fetch(url)).status).toBe(401);
    } finally {
      server.close();
    }
  });

  it('protect a Fastify route through the key file m2m-auth keys export-public writes', async () => {
    const keyFile = join(dir, 'oauth-public.key');
    const exported = await runCli([
      'keys',
      'export-public',
      '--out',
      keyFile,
      '--database',
      databaseUrl,
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    process.env['OAUTH_PUBLIC_KEY_PATH'] = keyFile;
    try {
      const app = Fastify();
      await app.register(fastifyVerifier, {
        verifier: createVerifier({ issuer: auth.issuer, audience: 'ms_doctor' }),
      });
      app.get(
        '/doctors',
        { onRequest: app.requireToken({ scopes: ['doctors:read'] }) },
        async (request) => ({
          caller: request.auth?.clientId,
        }),
      );
      const res = await app.inject({
        url: '/doctors',
        headers: { authorization: `Bearer ${await getToken()}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ caller: client.clientId });
      await app.close();
    } finally {
      delete process.env['OAUTH_PUBLIC_KEY_PATH'];
    }
  });

  it('follow an emergency rotation and stop accepting a revoked key within the refresh interval', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verifier = createVerifier({
      issuer: auth.issuer,
      audience: 'ms_doctor',
      jwksUri: `${auth.url}/.well-known/jwks.json`,
      logger: false,
    });
    const before = await getToken();
    const oldKid = JSON.parse(
      Buffer.from(before.split('.')[0] as string, 'base64url').toString(),
    ).kid;
    await verifier.verify(before);

    await auth.store.keys.rotate({ immediately: true });
    vi.setSystemTime(Date.now() + 31_000); // past the unknown-kid cooldown
    const after = await getToken();
    await expect(verifier.verify(after)).resolves.toMatchObject({ client_id: client.clientId });
    await expect(verifier.verify(before)).resolves.toBeDefined(); // retired, still published

    await auth.store.keys.revoke(oldKid);
    vi.setSystemTime(Date.now() + 301_000); // one refresh interval (the server's max-age, 300 s)
    const err = await verifier.verify(before).catch((e: unknown) => e as VerifierError);
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as VerifierError).code).toBe('ERR_KEY_UNKNOWN');
    await expect(verifier.verify(await getToken())).resolves.toBeDefined();
  });
});
