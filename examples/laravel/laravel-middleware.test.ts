/**
 * The PHP receiving side (examples/laravel): m2m-auth access tokens verified with firebase/php-jwt
 * under Debian's php-cli, against a real m2m-auth server, with the public key file and with the
 * JWKS. Valid tokens pass; a wrong audience, an expired, tampered or Passport-shaped token, and a
 * missing scope get the RFC 6750 refusal the Node adapters give.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@m2m-auth/server';
import { exportPublicKeyPem, importSigningKey } from '@m2m-auth/server/keys';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PhpService, phpAvailable, startPhpService } from './php-service.js';

let auth: RunningServer;
let dir: string;
let keyFile: string;
const php: Record<'keyFile' | 'jwks', PhpService | undefined> = {
  keyFile: undefined,
  jwks: undefined,
};
const clients: Record<string, { id: string; secret: string }> = {};

beforeAll(async () => {
  if (!phpAvailable) return;
  auth = await startServer({ databaseUrl: 'sqlite::memory:', port: 0, host: '127.0.0.1' });
  for (const [name, scopes, audiences] of [
    ['ms_admin', ['doctors:read'], ['ms_doctor']],
    ['ms_writer', ['doctors:write'], ['ms_doctor']],
    ['ms_other', ['college:read'], ['ms_college']],
  ] as const) {
    const { client, clientSecret } = await auth.store.clients.create({
      name,
      scopes: [...scopes],
      audiences: [...audiences],
    });
    clients[name] = { id: client.clientId, secret: clientSecret };
  }
  dir = mkdtempSync(join(tmpdir(), 'm2m-auth-laravel-'));
  keyFile = join(dir, 'oauth-public.key');
  const [key] = await auth.store.keys.list();
  writeFileSync(keyFile, await exportPublicKeyPem(key!.publicJwk));
  const common = { M2M_AUTH_ISSUER: auth.issuer, M2M_AUTH_AUDIENCE: 'ms_doctor' };
  php.keyFile = await startPhpService({ ...common, OAUTH_PUBLIC_KEY_PATH: keyFile });
  php.jwks = await startPhpService({
    ...common,
    M2M_AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
  });
});

afterAll(async () => {
  await php.keyFile?.stop();
  await php.jwks?.stop();
  await auth?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function token(name: string, audience?: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clients[name]!.id,
    client_secret: clients[name]!.secret,
    ...(audience ? { audience } : {}),
  });
  const res = await fetch(`${auth.url}/oauth/token`, { method: 'POST', body });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call(service: PhpService, bearer: string | undefined, method = 'GET') {
  const res = await fetch(`${service.url}/doctors`, {
    method,
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
  });
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** A token signed with the server's real key, with claims of our choosing. */
async function forged(claims: Record<string, unknown>, typ = 'at+jwt'): Promise<string> {
  const material = await auth.store.keys.active();
  const key = await importSigningKey(material!);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: material!.alg, kid: material!.kid, typ })
    .sign(key);
}

describe.skipIf(!phpAvailable).each(['keyFile', 'jwks'] as const)('PHP receiver (%s)', (source) => {
  const service = () => php[source]!;

  it('lets a valid token through', async () => {
    const res = await call(service(), await token('ms_admin'));
    expect(res).toMatchObject({
      status: 200,
      body: { service: 'ms_doctor', caller: clients['ms_admin']!.id, scope: 'doctors:read' },
    });
  });

  it('asks for a token when none is sent (401, no error code)', async () => {
    const res = await call(service(), undefined);
    expect(res.status).toBe(401);
    expect(res.challenge).toBe('Bearer realm="ms_doctor"');
  });

  it('refuses a token for another service (wrong audience)', async () => {
    const res = await call(service(), await token('ms_other'));
    expect(res.status).toBe(401);
    expect(res.challenge).toContain('error="invalid_token"');
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'aud claim does not name this service',
    });
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await forged({
      iss: auth.issuer,
      sub: 'c',
      client_id: 'c',
      aud: 'ms_doctor',
      scope: 'doctors:read',
      jti: 'j',
      iat: now - 3600,
      exp: now - 600,
    });
    const res = await call(service(), expired);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'token expired' });
  });

  it('refuses a tampered token', async () => {
    const [header, payload, signature] = (await token('ms_admin')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.scope = 'doctors:read doctors:write';
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const res = await call(service(), tampered);
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('invalid_token');
    expect(res.body['error_description']).toBe('token signature is invalid');
  });

  it('refuses a token without the route scope (403 insufficient_scope)', async () => {
    const res = await call(service(), await token('ms_writer'));
    expect(res.status).toBe(403);
    expect(res.challenge).toContain('error="insufficient_scope"');
    expect(res.challenge).toContain('scope="doctors:read"');
    expect(res.body['error']).toBe('insufficient_scope');
    expect((await call(service(), await token('ms_writer'), 'POST')).status).toBe(200);
  });

  it('refuses a token that is not an RFC 9068 access token (typ JWT) and a malformed header', async () => {
    const now = Math.floor(Date.now() / 1000);
    const passportShaped = await forged(
      { iss: auth.issuer, aud: 'ms_doctor', scope: 'doctors:read', iat: now, exp: now + 60 },
      'JWT',
    );
    expect((await call(service(), passportShaped)).body).toEqual({
      error: 'invalid_token',
      error_description: 'typ header is not at+jwt',
    });
    const res = await fetch(`${service().url}/doctors`, {
      headers: { authorization: 'Basic abc' },
    });
    expect(res.status).toBe(400);
  });
});
