/**
 * The admin API on the admin listener of a real `m2m-auth serve`: the first admin client comes
 * from `m2m-auth admin bootstrap`, everything after is HTTP with an access token of the server
 * itself (audience m2m-auth-admin). The OpenAPI document validates (OpenAPI 3.1 schema), and
 * every answer of this file is checked against the operation and status it documents.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from './helpers/auth-server.js';
import { runCliJson, type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

interface Credentials {
  client_id: string;
  client_secret: string;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        responses?: Record<string, { content?: Record<string, { schema: object }> }>;
      }
    >
  >;
}

let database: TestDatabase;
let env: NodeJS.ProcessEnv;
let served: ServeProcess;
let admin: string;
let document: OpenApiDocument;
let ajv: Ajv2020;
/** operationId → statuses seen, to show that every operation was exercised. */
const exercised = new Map<string, Set<number>>();

/** The documented operation of a request, by matching the path templates. */
function operationOf(
  method: string,
  path: string,
): { id: string; responses: Record<string, { content?: Record<string, { schema: object }> }> } {
  const pathname = path.split('?')[0] as string;
  for (const [template, item] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const operation = item[method.toLowerCase()];
    if (pattern.test(pathname) && operation?.operationId !== undefined) {
      return { id: operation.operationId, responses: operation.responses ?? {} };
    }
  }
  throw new Error(`no documented operation for ${method} ${pathname}`);
}

/**
 * Calls the admin API and validates the answer against the OpenAPI document: the status must be
 * documented for the operation, and the JSON body must match its schema.
 */
async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined || options.rawBody !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  const res = await fetch(`${admin}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(20_000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  const operation = operationOf(method, path);
  const documented = operation.responses[String(res.status)];
  expect(
    documented,
    `${operation.id} documents status ${res.status}: ${JSON.stringify(json)}`,
  ).toBeDefined();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const schema = documented?.content?.['application/json']?.schema;
  expect(schema, `${operation.id} ${res.status} has a JSON schema`).toBeDefined();
  const validate = ajv.compile({ $ref: `openapi.json${(schema as { $ref: string }).$ref}` });
  expect(validate(json), `${operation.id} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(
    true,
  );
  const seen = exercised.get(operation.id) ?? new Set<number>();
  seen.add(res.status);
  exercised.set(operation.id, seen);
  return { status: res.status, body: json, headers: res.headers };
}

async function token(credentials: Credentials, audience: string): Promise<Response> {
  return fetch(`${served.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(credentials.client_id, credentials.client_secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience }),
  });
}

async function accessToken(credentials: Credentials, audience = 'm2m-auth-admin'): Promise<string> {
  const res = await token(credentials, audience);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

let adminToken: string;
let readOnlyToken: string;
let bootstrap: Credentials;

describe('the admin API', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    env = { ...process.env, M2M_AUTH_KEK: randomKek(), DATABASE_URL: database.url };
    delete env['M2M_AUTH_DEBUG'];
    const cwd = database.dir as string;
    bootstrap = await runCliJson<Credentials>(['admin', 'bootstrap'], { env, cwd });
    const readOnly = await runCliJson<Credentials>(
      ['admin', 'bootstrap', 'ops-readonly', '--scopes', 'clients:read,keys:read'],
      { env, cwd },
    );
    served = await startServeProcess(['--admin-port', '0', '--audit-store'], { env, cwd });
    for (let attempt = 0; attempt < 100 && admin === undefined; attempt++) {
      const match = /admin endpoints \(.*\) on (http:\/\/\S+)/.exec(served.stderr());
      if (match?.[1]) admin = match[1];
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    document = (await (await fetch(`${admin}/openapi.json`)).json()) as OpenApiDocument;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...document, $id: 'openapi.json' });
    adminToken = await accessToken(bootstrap);
    readOnlyToken = await accessToken(readOnly);
  });
  afterAll(async () => {
    await served?.stop();
    await database?.drop();
  });

  it('serves an OpenAPI 3.1 document that validates', async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((document as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('creates a client that then gets a token, with HTTP and an admin token only', async () => {
    const created = await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: { name: 'ms_new', audiences: ['ms_doctor'], scopes: ['doctors:read'] },
    });
    expect(created.status).toBe(201);
    const credentials = created.body as unknown as Credentials;
    const res = await token(credentials, 'ms_doctor');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { scope: string; access_token: string };
    expect(body.scope).toBe('doctors:read');

    const listed = await call('GET', '/admin/v1/clients', { token: readOnlyToken });
    expect(listed.status).toBe(200);
    expect((listed.body['clients'] as { name: string }[]).map((c) => c.name)).toContain('ms_new');
    const shown = await call('GET', '/admin/v1/clients/ms_new', { token: readOnlyToken });
    expect(shown.body['secrets']).toEqual([{ expires_at: null }]);
    expect(JSON.stringify(shown.body)).not.toContain(credentials.client_secret);
  });

  it('updates, rotates the secret of and revokes a client, as the CLI does', async () => {
    const created = await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: { name: 'ms_cycle', audiences: ['ms_doctor'] },
    });
    const first = created.body as unknown as Credentials;
    const updated = await call('PATCH', '/admin/v1/clients/ms_cycle', {
      token: adminToken,
      body: { scopes: ['doctors:write'], token_ttl_sec: 300 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ scopes: ['doctors:write'], token_ttl_sec: 300 });
    const rotated = await call('POST', `/admin/v1/clients/${first.client_id}/rotate-secret`, {
      token: adminToken,
      body: { grace_sec: 0 },
    });
    expect(rotated.status).toBe(200);
    const second = rotated.body as unknown as Credentials;
    expect(second.client_secret).not.toBe(first.client_secret);
    expect((await token(first, 'ms_doctor')).status).toBe(401);
    expect((await token(second, 'ms_doctor')).status).toBe(200);
    const revoked = await call('POST', '/admin/v1/clients/ms_cycle/revoke', { token: adminToken });
    expect(revoked.status).toBe(200);
    expect(revoked.body['revoked_at']).toEqual(expect.any(Number));
    expect((await token(second, 'ms_doctor')).status).toBe(401);
    // A revoked client's secret cannot be rotated.
    const refused = await call('POST', '/admin/v1/clients/ms_cycle/rotate-secret', {
      token: adminToken,
    });
    expect(refused.status).toBe(409);
    expect(refused.body['code']).toBe('ERR_CLIENT_REVOKED');
  });

  it('lists, rotates and revokes signing keys', async () => {
    const listed = await call('GET', '/admin/v1/keys', { token: readOnlyToken });
    expect(listed.status).toBe(200);
    expect((listed.body['keys'] as { state: string }[]).map((k) => k.state)).toEqual(['active']);
    const rotated = await call('POST', '/admin/v1/keys/rotate', {
      token: adminToken,
      body: { alg: 'ES256', propagation_sec: 600 },
    });
    expect(rotated.status).toBe(200);
    const scheduled = rotated.body['scheduled'] as { kid: string }[];
    expect(scheduled).toHaveLength(1);
    const pending = await call('POST', '/admin/v1/keys/rotate', { token: adminToken });
    expect(pending.status).toBe(409);
    expect(pending.body['code']).toBe('ERR_ROTATION_PENDING');
    const revoked = await call('POST', `/admin/v1/keys/${scheduled[0]?.kid}/revoke`, {
      token: adminToken,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body['revoked']).toEqual([scheduled[0]?.kid]);
    const unknown = await call('POST', '/admin/v1/keys/no-such-kid/revoke', { token: adminToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body['code']).toBe('ERR_KEY_NOT_FOUND');
  });

  it('reads the audit log', async () => {
    let events: { outcome: string; client_name: string | null }[] = [];
    // The audit table is written in batches every second: poll, bounded.
    for (let attempt = 0; attempt < 50 && events.length === 0; attempt++) {
      const read = await call('GET', '/admin/v1/audit?limit=50&client=m2m-auth-admin', {
        token: adminToken,
      });
      expect(read.status).toBe(200);
      events = read.body['events'] as typeof events;
      if (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.client_name === 'm2m-auth-admin')).toBe(true);
    const wrong = await call('GET', '/admin/v1/audit?limit=zero', { token: adminToken });
    expect(wrong.status).toBe(400);
    const unknownParameter = await call('GET', '/admin/v1/audit?follow=1', { token: adminToken });
    expect(unknownParameter.status).toBe(400);
    // audit:read is not a scope of the read-only client.
    expect((await call('GET', '/admin/v1/audit', { token: readOnlyToken })).status).toBe(403);
  });

  it('reads refusals only, the service graph and the unused grants from the audit table', async () => {
    // A refused request of the read-only client (it may not call this audience), then poll until
    // the audit table holds it.
    expect((await token(bootstrap, 'ms_nowhere')).status).toBe(400);
    let refused: { outcome: string; reason: string | null }[] = [];
    const stored = () => refused.some((event) => event.reason === 'ERR_AUDIENCE_NOT_ALLOWED');
    for (let attempt = 0; attempt < 50 && !stored(); attempt++) {
      const read = await call('GET', '/admin/v1/audit?outcome=refused&limit=10', {
        token: adminToken,
      });
      refused = read.body['events'] as typeof refused;
      if (!stored()) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((event) => event.outcome === 'refused')).toBe(true);
    expect(refused.map((event) => event.reason)).toContain('ERR_AUDIENCE_NOT_ALLOWED');
    expect((await call('GET', '/admin/v1/audit?outcome=maybe', { token: adminToken })).status).toBe(
      400,
    );

    const graph = await call('GET', '/admin/v1/audit/graph?since_sec=3600', { token: adminToken });
    expect(graph.status).toBe(200);
    const edges = graph.body['edges'] as { from: string; to: string; refusals: number }[];
    expect(edges).toContainEqual(
      expect.objectContaining({ from: 'm2m-auth-admin', to: 'ms_nowhere', refusals: 1 }),
    );
    expect(edges).toContainEqual(
      expect.objectContaining({ from: 'm2m-auth-admin', to: 'm2m-auth-admin', refusals: 0 }),
    );
    // A client that never asks for a token is idle; one that used all it holds is not listed.
    await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: { name: 'ms_idle', audiences: ['ms_doctor'], scopes: ['doctors:read'] },
    });
    const unused = await call('GET', '/admin/v1/audit/unused', { token: adminToken });
    expect(unused.status).toBe(200);
    const clients = unused.body['clients'] as { name: string; idle: boolean; command: string }[];
    expect(clients.find((c) => c.name === 'ms_new')).toBeUndefined();
    expect(clients.find((c) => c.name === 'ms_idle')).toMatchObject({
      idle: true,
      command: 'm2m-auth client revoke ms_idle',
    });
    expect((await call('GET', '/admin/v1/audit/graph?limit=3', { token: adminToken })).status).toBe(
      400,
    );
    expect((await call('GET', '/admin/v1/audit/unused', { token: readOnlyToken })).status).toBe(
      403,
    );
  });

  it('refuses requests without a usable admin token, with RFC 6750 challenges', async () => {
    const missing = await call('GET', '/admin/v1/clients');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="m2m-auth-admin"');
    expect(missing.body['code']).toBe('ERR_ADMIN_TOKEN_MISSING');

    const garbage = await call('GET', '/admin/v1/clients', { token: 'not.a.token' });
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // A token of this server for another audience is not an admin token.
    const service = await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: { name: 'ms_service', audiences: ['ms_doctor'] },
    });
    const serviceToken = await accessToken(service.body as unknown as Credentials, 'ms_doctor');
    expect((await call('GET', '/admin/v1/clients', { token: serviceToken })).status).toBe(401);

    // Authorization comes before the body is looked at.
    const unauthenticated = await call('POST', '/admin/v1/clients', { body: { wrong: true } });
    expect(unauthenticated.status).toBe(401);

    const scope = await call('POST', '/admin/v1/clients', {
      token: readOnlyToken,
      body: { name: 'ms_denied' },
    });
    expect(scope.status).toBe(403);
    expect(scope.headers.get('www-authenticate')).toContain('scope="clients:write"');
    expect(scope.body['code']).toBe('ERR_ADMIN_SCOPE_INSUFFICIENT');
  });

  it('lets no caller create, change, re-secret or revoke an admin client with scopes its own token lacks', async () => {
    const writer = await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: {
        name: 'ops-clients-writer',
        audiences: ['m2m-auth-admin'],
        scopes: ['clients:write'],
      },
    });
    expect(writer.status).toBe(201);
    const writerToken = await accessToken(writer.body as unknown as Credentials);

    const escalated = await call('POST', '/admin/v1/clients', {
      token: writerToken,
      body: { name: 'ops-escalated', audiences: ['m2m-auth-admin'], scopes: ['keys:write'] },
    });
    expect(escalated.status).toBe(403);
    expect(escalated.body['code']).toBe('ERR_ADMIN_SCOPE_INSUFFICIENT');
    const widened = await call('PATCH', '/admin/v1/clients/ops-clients-writer', {
      token: writerToken,
      body: { scopes: ['clients:write', 'keys:write'] },
    });
    expect(widened.status).toBe(403);
    for (const action of ['rotate-secret', 'revoke']) {
      const takeover = await call('POST', `/admin/v1/clients/${bootstrap.client_id}/${action}`, {
        token: writerToken,
      });
      expect(takeover.status).toBe(403);
    }
    // The full admin client is untouched, and the writer still manages service clients.
    expect((await token(bootstrap, 'm2m-auth-admin')).status).toBe(200);
    const service = await call('POST', '/admin/v1/clients', {
      token: writerToken,
      body: { name: 'ms_by_writer', audiences: ['ms_doctor'], scopes: ['doctors:read'] },
    });
    expect(service.status).toBe(201);
    const sameScopes = await call('POST', '/admin/v1/clients', {
      token: writerToken,
      body: { name: 'ops-writer-2', audiences: ['m2m-auth-admin'], scopes: ['clients:write'] },
    });
    expect(sameScopes.status).toBe(201);

    // Each change says which admin client made it, refused ones included; never a secret.
    const writerId = (writer.body as unknown as Credentials).client_id;
    const statusesLogged = () =>
      served
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"admin API change"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((c) => c['adminClientId'] === writerId)
        .map((c) => c['statusCode']);
    // The log is written asynchronously: wait (bounded) for the last line.
    for (let i = 0; i < 40 && statusesLogged().length < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(statusesLogged()).toEqual([403, 403, 403, 403, 201, 201]);
    expect(served.stdout()).not.toContain(String(service.body['client_secret']));
  });

  it('answers bad input with specific errors and changes nothing', async () => {
    const unknownMember = await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: { name: 'ms_x', audience: ['ms_doctor'] },
    });
    expect(unknownMember.status).toBe(400);
    expect(unknownMember.body['error_description']).toMatch(/additional properties/);
    const taken = await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: { name: 'ms_new' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body['code']).toBe('ERR_CLIENT_NAME_TAKEN');
    const badScope = await call('PATCH', '/admin/v1/clients/ms_new', {
      token: adminToken,
      body: { scopes: ['has space'] },
    });
    expect(badScope.status).toBe(400);
    expect(badScope.body['code']).toBe('ERR_INVALID_SCOPE');
    const notFound = await call('GET', '/admin/v1/clients/ms_nobody', { token: readOnlyToken });
    expect(notFound.status).toBe(404);
    const empty = await call('PATCH', '/admin/v1/clients/ms_new', { token: adminToken, body: {} });
    expect(empty.status).toBe(400);
    const names = (
      (await call('GET', '/admin/v1/clients', { token: readOnlyToken })).body['clients'] as {
        name: string;
      }[]
    ).map((client) => client.name);
    expect(names).not.toContain('ms_x');
    // The public listener has no admin API.
    expect((await fetch(`${served.url}/admin/v1/clients`)).status).toBe(404);
  });

  it('stops honouring the tokens of a revoked admin client', async () => {
    const second = await call('POST', '/admin/v1/clients', {
      token: adminToken,
      body: { name: 'ops-temporary', audiences: ['m2m-auth-admin'], scopes: ['clients:read'] },
    });
    const temporary = await accessToken(second.body as unknown as Credentials);
    expect((await call('GET', '/admin/v1/clients', { token: temporary })).status).toBe(200);
    await call('POST', '/admin/v1/clients/ops-temporary/revoke', { token: adminToken });
    expect((await call('GET', '/admin/v1/clients', { token: temporary })).status).toBe(401);
  });

  it('exercised every documented operation', () => {
    const documented = Object.values(document.paths).flatMap((item) =>
      Object.values(item)
        .map((operation) => (operation as { operationId?: string }).operationId)
        .filter((id): id is string => id !== undefined),
    );
    expect([...exercised.keys()].sort()).toEqual([...documented].sort());
  });
});
