/**
 * Control characters (NUL, other C0/C1 controls, DEL) and unpaired surrogates in token request
 * parameters are refused before any lookup, the same way on SQLite and PostgreSQL (which refuses
 * NUL in text: without the check, a NUL in client_id passed for a database outage, a 503 with an
 * error log per request that the failure limits never saw).
 */
import { Writable } from 'node:stream';
import { buildServer, openStore, type Store } from '@m2m-auth/server';
import { AUTH_SERVER_ERRORS } from '@m2m-auth/server/errors';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuth, formEncode } from './helpers/auth-server.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

let database: TestDatabase | undefined;
let store: Store | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await store?.close();
  store = undefined;
  await database?.drop();
  database = undefined;
});

interface Served {
  server: FastifyInstance;
  /** Log lines at warn level and above. */
  problems: string[];
  clientId: string;
  secret: string;
}

async function serve(dialect: 'sqlite' | 'postgres'): Promise<Served> {
  database = await createTestDatabase(dialect);
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  await store.keys.generate('ES256');
  const { client, clientSecret } = await store.clients.create({
    name: 'ms_admin',
    scopes: ['doctors:read'],
    audiences: ['ms_doctor'],
  });
  const problems: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      problems.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  app = buildServer({
    store,
    issuer: 'https://auth.example',
    logger: { level: 'warn', stream },
  });
  await app.ready();
  return { server: app, problems, clientId: client.clientId, secret: clientSecret };
}

type Case = { label: string; contentType?: string; payload: string; authorization?: string };

function form(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`)
    .join('&');
}

async function send(server: FastifyInstance, c: Case, remoteAddress: string) {
  const res = await server.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress,
    headers: {
      'content-type': c.contentType ?? 'application/x-www-form-urlencoded',
      ...(c.authorization === undefined ? {} : { authorization: c.authorization }),
    },
    payload: c.payload,
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

function credentialCases(id: string, secret: string): Case[] {
  const grant = 'grant_type=client_credentials';
  return [
    {
      label: 'form client_id with %00',
      payload: form({
        grant_type: 'client_credentials',
        client_id: `${id}\0`,
        client_secret: secret,
      }),
    },
    {
      label: 'form client_secret with %00',
      payload: form({
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: `${secret}\0`,
      }),
    },
    {
      label: 'form client_id with ESC',
      payload: form({
        grant_type: 'client_credentials',
        client_id: `${id}\x1b[2J`,
        client_secret: secret,
      }),
    },
    {
      label: 'Basic client_id with %00',
      payload: grant,
      authorization: basicAuth(`${id}\0`, secret),
    },
    {
      label: 'Basic client_secret with %0A',
      payload: grant,
      authorization: basicAuth(id, `${secret}\n`),
    },
    {
      label: 'Basic with a raw NUL byte',
      payload: grant,
      authorization: `Basic ${Buffer.from(`${id}\0:${secret}`).toString('base64')}`,
    },
    {
      label: 'JSON client_id with \\u0000',
      contentType: 'application/json',
      payload: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: `${id}\u0000`,
        client_secret: secret,
      }),
    },
    {
      label: 'JSON client_id with an unpaired surrogate',
      contentType: 'application/json',
      payload: `{"grant_type":"client_credentials","client_id":"${id}\\ud800","client_secret":"${secret}"}`,
    },
  ];
}

function otherCases(id: string, secret: string): Case[] {
  const auth = basicAuth(id, secret);
  const withParams = (extra: Record<string, string>): string =>
    form({ grant_type: 'client_credentials', ...extra });
  return [
    {
      label: 'scope with %00',
      payload: withParams({ scope: 'doctors:read\0' }),
      authorization: auth,
    },
    { label: 'audience with %00', payload: withParams({ audience: 'x\0' }), authorization: auth },
    {
      label: 'resource with %00',
      payload: withParams({ resource: 'ms_doctor\0' }),
      authorization: auth,
    },
    {
      label: 'grant_type with %00',
      payload: form({ grant_type: 'client_credentials\0' }),
      authorization: auth,
    },
    {
      label: 'audience with DEL',
      payload: withParams({ audience: 'ms_doctor\x7f' }),
      authorization: auth,
    },
    {
      label: 'scope with a C1 control',
      payload: withParams({ scope: 'doctors:read\u0085' }),
      authorization: auth,
    },
    {
      label: 'scope with a tab',
      payload: withParams({ scope: 'doctors:read\tx' }),
      authorization: auth,
    },
    {
      label: 'an unknown parameter with %00',
      payload: withParams({ extra: '\0' }),
      authorization: auth,
    },
    {
      label: 'a parameter name with %00',
      payload: withParams({ 'x\0': '1' }),
      authorization: auth,
    },
    {
      label: 'JSON audience with an unpaired surrogate',
      contentType: 'application/json',
      payload: `{"grant_type":"client_credentials","client_id":"${id}","client_secret":"${secret}","audience":"\\udc00"}`,
    },
    {
      label: 'a repeated resource with %00',
      payload: `${withParams({ resource: 'ms_doctor' })}&resource=x%00`,
      authorization: auth,
    },
  ];
}

describe.each(TEST_DIALECTS)('control characters in token requests on %s', (dialect) => {
  it.skipIf(dialectUnavailable(dialect))(
    'refuses them in client_id or client_secret (form, JSON, Basic) with 401 invalid_client, logging no error',
    async () => {
      const { server, problems, clientId, secret } = await serve(dialect);
      const cases = credentialCases(clientId, secret);
      for (const [i, c] of cases.entries()) {
        expect({ label: c.label, ...(await send(server, c, `10.1.0.${i + 1}`)) }).toEqual({
          label: c.label,
          status: 401,
          body: {
            error: 'invalid_client',
            error_description: AUTH_SERVER_ERRORS.ERR_CLIENT_AUTH_CONTROL_CHARACTERS.description,
          },
        });
      }
      expect(problems).toEqual([]);
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'refuses them in any other parameter with 400 invalid_request, even from a valid client',
    async () => {
      const { server, problems, clientId, secret } = await serve(dialect);
      for (const [i, c] of otherCases(clientId, secret).entries()) {
        expect({ label: c.label, ...(await send(server, c, `10.2.0.${i + 1}`)) }).toEqual({
          label: c.label,
          status: 400,
          body: {
            error: 'invalid_request',
            error_description:
              AUTH_SERVER_ERRORS.ERR_REQUEST_PARAMETER_CONTROL_CHARACTERS.description,
          },
        });
      }
      expect(problems).toEqual([]);
      // The same client is served as usual without them.
      const ok = await send(
        server,
        {
          label: 'clean',
          payload: 'grant_type=client_credentials',
          authorization: basicAuth(clientId, secret),
        },
        '10.2.1.1',
      );
      expect(ok.status).toBe(200);
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'counts them as failed authentications: the failure limit answers 429 after 10 from one address',
    async () => {
      const { server, clientId, secret } = await serve(dialect);
      const nul: Case = {
        label: 'NUL client_id',
        payload: form({
          grant_type: 'client_credentials',
          client_id: `${clientId}\0`,
          client_secret: secret,
        }),
      };
      const statuses: number[] = [];
      for (let i = 0; i < 11; i += 1) statuses.push((await send(server, nul, '10.3.0.1')).status);
      expect(statuses).toEqual([...Array(10).fill(401), 429]);

      const scope: Case = {
        label: 'NUL scope',
        payload: form({ grant_type: 'client_credentials', scope: '\0' }),
        authorization: basicAuth(clientId, secret),
      };
      const scoped: number[] = [];
      for (let i = 0; i < 11; i += 1) scoped.push((await send(server, scope, '10.3.0.2')).status);
      expect(scoped).toEqual([...Array(10).fill(400), 429]);
    },
  );
});
