/**
 * Introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) authenticate their callers exactly
 * as the token endpoint does — client secrets, private_key_jwt (RFC 7523 §2.2) with the grant's
 * audience rules, secrets adopted from Laravel Passport — and every request is an audit event that
 * names the caller and the outcome, never the token.
 */
import { Writable } from 'node:stream';
import { buildServer, openStore, type Store } from '@m2m-auth/server';
import { importPassportClients } from '@m2m-auth/server/passport';

import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assertionClaims,
  generateTestKeyPair,
  signAssertion,
  type TestKeyPair,
} from './helpers/client-assertion.js';
import {
  createLaravelDatabase,
  fixtureSecrets,
  type LaravelDatabase,
} from './helpers/laravel-database.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const ISSUER = 'https://auth.example';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let database: TestDatabase;
let laravel: LaravelDatabase | undefined;
let store: Store;
let app: FastifyInstance;
let logLines: Record<string, unknown>[];
let rawLog: string;

beforeEach(async () => {
  database = await createTestDatabase('sqlite');
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  await store.keys.generate('ES256');
  logLines = [];
  rawLog = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      rawLog += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  app = buildServer({ store, issuer: ISSUER, logger: { level: 'info', stream } });
});
afterEach(async () => {
  await app?.close();
  await store.close();
  await database.drop();
  await laravel?.drop();
  laravel = undefined;
});

const audits = (outcome: string) =>
  logLines
    .map((line) => line['audit'] as Record<string, unknown> | undefined)
    .filter((audit) => audit?.['outcome'] === outcome);

async function post(path: string, form: Record<string, string>, authorization?: string) {
  const res = await app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization === undefined ? {} : { authorization }),
    },
    payload: new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, body: res.body === '' ? undefined : res.json() };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A token of a fresh secret client, and that client. */
async function issuedToken(): Promise<{ token: string; jti: string; clientId: string }> {
  const { client, clientSecret } = await store.clients.create({
    name: `caller-${logLines.length}-${Math.random().toString(36).slice(2, 8)}`,
    scopes: ['doctors:read'],
    audiences: ['ms_doctor'],
  });
  const res = await post(
    '/oauth/token',
    { grant_type: 'client_credentials' },
    basic(client.clientId, clientSecret),
  );
  expect(res.status).toBe(200);
  const token = (res.body as { access_token: string }).access_token;
  const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())['jti'];
  return { token, jti, clientId: client.clientId };
}

describe('a private_key_jwt client (RFC 7523 §2.2)', () => {
  let keys: TestKeyPair;
  let clientId: string;

  beforeEach(async () => {
    keys = generateTestKeyPair('ES256');
    const client = await store.clients.createWithPublicKeys(
      {
        name: 'gateway',
        scopes: ['m2m-auth:introspect', 'doctors:read'],
        audiences: ['ms_doctor'],
      },
      { alg: 'ES256', publicKeys: [keys.publicPem] },
    );
    clientId = client.clientId;
  });

  const assertion = (audience = ISSUER) =>
    signAssertion(assertionClaims(clientId, audience), keys.privateKey, 'ES256');
  const withAssertion = (token: string, audience?: string) => ({
    token,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion(audience),
  });

  it('introspects a token, audited with its jti and never the token', async () => {
    const { token, jti } = await issuedToken();
    const res = await post('/oauth/introspect', withAssertion(token));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: true, jti });
    expect(audits('introspected')).toEqual([
      expect.objectContaining({
        client_id: clientId,
        jti,
        reason: null,
        status: 200,
        detail: 'active token (private_key_jwt)',
      }),
    ]);
    expect(rawLog).not.toContain(token);
  });

  it('accepts the token endpoint URL as audience, as the grant does, and refuses any other', async () => {
    const { token } = await issuedToken();
    const tokenEndpoint = await post(
      '/oauth/introspect',
      withAssertion(token, `${ISSUER}/oauth/token`),
    );
    expect(tokenEndpoint.body).toMatchObject({ active: true });
    const introspectionEndpoint = await post(
      '/oauth/introspect',
      withAssertion(token, `${ISSUER}/oauth/introspect`),
    );
    expect(introspectionEndpoint.status).toBe(401);
    expect(introspectionEndpoint.body).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a replayed assertion, whichever endpoint saw it first', async () => {
    const { token } = await issuedToken();
    const once = assertion();
    const first = await post('/oauth/token', {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: once,
    });
    expect(first.status).toBe(200);
    const replay = await post('/oauth/introspect', {
      token,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: once,
    });
    expect(replay.status).toBe(401);
    expect(audits('introspection_refused').at(-1)).toMatchObject({
      reason: 'ERR_CLIENT_AUTH_FAILED',
      detail: 'assertion jti was already used',
    });
  });

  it('revokes its own token, audited; the token is then inactive', async () => {
    const own = await post('/oauth/token', {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion(),
    });
    const token = (own.body as { access_token: string }).access_token;
    const res = await post('/oauth/revoke', withAssertion(token));
    expect(res.status).toBe(200);
    expect(audits('revoked')).toEqual([
      expect.objectContaining({
        client_id: clientId,
        status: 200,
        detail: 'token revoked (private_key_jwt)',
      }),
    ]);
    const after = await post('/oauth/introspect', withAssertion(token));
    expect(after.body).toEqual({ active: false });
    expect(rawLog).not.toContain(token);
  });

  it("refuses to revoke another client's token, audited with the reason", async () => {
    const { token } = await issuedToken();
    const res = await post('/oauth/revoke', withAssertion(token));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unauthorized_client' });
    expect(audits('revocation_refused')).toEqual([
      expect.objectContaining({ client_id: clientId, reason: 'ERR_TOKEN_NOT_OWNED', status: 400 }),
    ]);
  });
});

it('a client adopted from Laravel Passport introspects with its bcrypt secret', async () => {
  laravel = await createLaravelDatabase('sqlite', 'passport12-hashed');
  await importPassportClients(store, {
    from: laravel.url,
    names: { 'ms_billing (retired)': 'ms_billing' },
    audiences: ['ms_doctor'],
    scopes: ['m2m-auth:introspect'],
  });
  const [legacyId] = await store.clients.legacySecretClientIds();
  expect(legacyId).toBeDefined();
  const secret = fixtureSecrets('passport12-hashed')[legacyId!]!;
  const { token, jti } = await issuedToken();
  const res = await post('/oauth/introspect', { token }, basic(legacyId!, secret));
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ active: true, jti });
  // The legacy hash was checked once and replaced by the server's own, as at the token endpoint.
  expect(await store.clients.legacySecretClientIds()).not.toContain(legacyId);
  expect(audits('introspected').at(-1)).toMatchObject({
    jti,
    detail: 'active token (client_secret_basic)',
  });
});

it('audits refusals before authentication too: a body that cannot be parsed', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/oauth/revoke',
    headers: { 'content-type': 'text/plain' },
    payload: 'token=abc',
  });
  expect(res.statusCode).toBe(400);
  expect(audits('revocation_refused')).toEqual([
    expect.objectContaining({ client_id: null, reason: 'ERR_REQUEST_CONTENT_TYPE', status: 400 }),
  ]);
});

describe('a wrong secret on introspection', () => {
  it('is refused 401 invalid_client and audited without the secret or the token', async () => {
    const { client } = await store.clients.create({
      name: 'gateway',
      scopes: ['m2m-auth:introspect'],
    });
    const { token } = await issuedToken();
    const res = await post('/oauth/introspect', { token }, basic(client.clientId, 'wrong-secret'));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_client' });
    expect(audits('introspection_refused')).toEqual([
      expect.objectContaining({
        client_id: client.clientId,
        reason: 'ERR_CLIENT_AUTH_FAILED',
        detail: 'secret mismatch',
        status: 401,
        jti: null,
      }),
    ]);
    expect(rawLog).not.toContain('wrong-secret');
    expect(rawLog).not.toContain(token);
  });

  it('counts toward the failure limit like one at the token endpoint', async () => {
    await app.close();
    app = buildServer({
      store,
      issuer: ISSUER,
      authFailureLimit: { maxPerClientAndAddress: 2 },
    });
    const { client } = await store.clients.create({ name: 'gw', scopes: ['m2m-auth:introspect'] });
    const { token } = await issuedToken();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await post('/oauth/introspect', { token }, basic(client.clientId, 'nope'))).status,
      );
    }
    const grant = await post(
      '/oauth/token',
      { grant_type: 'client_credentials' },
      basic(client.clientId, 'nope'),
    );
    expect([...statuses, grant.status]).toEqual([401, 401, 429, 429]);
  });
});
