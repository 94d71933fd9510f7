/**
 * Audit events of the token endpoint: one structured log line per issuance and per refusal, never
 * a secret or token; with `auditStore`, also rows in the audit table, purged after the retention
 * period, on SQLite and PostgreSQL.
 */
import { Writable } from 'node:stream';
import { type BuildServerOptions, buildServer, openStore, type Store } from '@m2m-auth/server';
import type { AuditEvent, AuditEventJson } from '@m2m-auth/server/audit';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { basicAuth, decodeJwt } from './helpers/auth-server.js';
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
  vi.useRealTimers();
  await app?.close();
  app = undefined;
  await store?.close();
  store = undefined;
  await database?.drop();
  database = undefined;
});

async function openTestStore(dialect: 'sqlite' | 'postgres' = 'sqlite'): Promise<Store> {
  database = await createTestDatabase(dialect);
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  await store.keys.generate('ES256');
  return store;
}

/** A server whose log lines are collected. */
function serveWithLog(
  opened: Store,
  options: Partial<BuildServerOptions> = {},
): { server: FastifyInstance; lines: string[]; audit: () => (AuditEventJson & { msg: string })[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  app = buildServer({
    store: opened,
    issuer: 'https://auth.example',
    logger: { level: 'info', stream },
    ...options,
  });
  return {
    server: app,
    lines,
    audit: () =>
      lines
        .map((line) => JSON.parse(line) as { audit?: AuditEventJson; msg: string })
        .filter((entry) => entry.audit !== undefined)
        .map((entry) => ({ ...(entry.audit as AuditEventJson), msg: entry.msg })),
  };
}

function post(
  server: FastifyInstance,
  payload: string,
  headers: Record<string, string>,
  remoteAddress = '10.9.8.7',
) {
  return server.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload,
  });
}

describe('audit log lines', () => {
  it('logs one info line per issued token with time, client_id, audience, scopes, jti and source address', async () => {
    const opened = await openTestStore();
    const { client, clientSecret } = await opened.clients.create({
      name: 'ms_admin',
      scopes: ['doctors:read', 'doctors:write'],
      audiences: ['ms_doctor'],
    });
    const { server, audit, lines } = serveWithLog(opened);
    const res = await post(server, 'grant_type=client_credentials&scope=doctors:read', {
      authorization: basicAuth(client.clientId, clientSecret),
    });
    expect(res.statusCode).toBe(200);
    const token = res.json().access_token as string;
    const events = audit();
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      msg: 'token issued',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      outcome: 'issued',
      client_id: client.clientId,
      audience: 'ms_doctor',
      scopes: ['doctors:read'],
      jti: decodeJwt(token).payload.jti,
      source_address: '10.9.8.7',
      reason: null,
      detail: null,
      status: 200,
    });
    const all = lines.join('\n');
    expect(all).not.toContain(clientSecret);
    expect(all).not.toContain(token.split('.')[2]);
  });

  it('logs every refusal with its reason and what was asked for, never the secret', async () => {
    const opened = await openTestStore();
    const { client, clientSecret } = await opened.clients.create({
      name: 'ms_admin',
      scopes: ['doctors:read'],
      audiences: ['ms_doctor', 'ms_college'],
    });
    const { server, audit, lines } = serveWithLog(opened, {
      authFailureLimit: { maxPerClientAndAddress: 2 },
    });
    const good = { authorization: basicAuth(client.clientId, clientSecret) };
    const bad = { authorization: basicAuth(client.clientId, 'wrong-secret-value') };
    await post(server, 'grant_type=client_credentials&audience=ms_doctor&scope=admin', good);
    await post(server, 'grant_type=client_credentials&audience=ms_billing', good);
    await post(server, 'grant_type=password', good);
    await post(server, 'grant_type=client_credentials&audience=ms_doctor', bad);
    await post(server, 'grant_type=client_credentials&audience=ms_doctor', bad);
    await post(server, 'grant_type=client_credentials&audience=ms_doctor', good);
    await server.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/json' },
      payload: `{"client_secret":"${clientSecret}",`,
    });
    const events = audit();
    expect(
      events.map((e) => [e.msg, e.outcome, e.status, e.reason, e.client_id, e.audience, e.scopes]),
    ).toEqual([
      [
        'token request refused',
        'refused',
        400,
        'ERR_SCOPE_NOT_ALLOWED',
        client.clientId,
        'ms_doctor',
        ['admin'],
      ],
      [
        'token request refused',
        'refused',
        400,
        'ERR_AUDIENCE_NOT_ALLOWED',
        client.clientId,
        'ms_billing',
        null,
      ],
      ['token request refused', 'refused', 400, 'ERR_GRANT_TYPE_UNSUPPORTED', null, null, null],
      [
        'token request refused',
        'refused',
        401,
        'ERR_CLIENT_AUTH_FAILED',
        client.clientId,
        'ms_doctor',
        null,
      ],
      [
        'token request refused',
        'refused',
        401,
        'ERR_CLIENT_AUTH_FAILED',
        client.clientId,
        'ms_doctor',
        null,
      ],
      [
        'token request refused',
        'refused',
        429,
        'ERR_CLIENT_AUTH_RATE_LIMITED',
        client.clientId,
        'ms_doctor',
        null,
      ],
      ['token request refused', 'refused', 400, 'ERR_REQUEST_BODY_MALFORMED', null, null, null],
    ]);
    expect(events[3]?.detail).toBe('secret mismatch');
    expect(events.every((e) => e.jti === null && e.source_address !== null)).toBe(true);
    const all = lines.join('\n');
    expect(all).not.toContain(clientSecret);
    expect(all).not.toContain('wrong-secret-value');
  });

  it('records a presented client_id that is not shaped like one as a digest: a secret sent there stays out of the log', async () => {
    const opened = await openTestStore();
    const { client, clientSecret } = await opened.clients.create({
      name: 'ms_admin',
      audiences: ['ms_doctor'],
    });
    const { server, audit, lines } = serveWithLog(opened);
    // A caller that swapped its settings sends the secret as client_id.
    await post(
      server,
      `grant_type=client_credentials&client_id=${clientSecret}&client_secret=${client.clientId}`,
      {},
    );
    const [event] = audit();
    expect(event?.client_id).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(event?.detail).toBe('unknown client_id');
    expect(lines.join('\n')).not.toContain(clientSecret);
  });

  it('writes no audit line for requests other than token requests', async () => {
    const opened = await openTestStore();
    const { server, audit } = serveWithLog(opened);
    await server.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    await server.inject({ method: 'GET', url: '/oauth/token' });
    await server.inject({ method: 'GET', url: '/nope' });
    expect(audit()).toEqual([]);
  });
});

describe.each(TEST_DIALECTS)('audit table on %s', (dialect) => {
  it.skipIf(dialectUnavailable(dialect))(
    'keeps issuances and refusals with --audit-store, without moving the store revision',
    async () => {
      const opened = await openTestStore(dialect);
      const { client, clientSecret } = await opened.clients.create({
        name: 'ms_admin',
        scopes: ['doctors:read'],
        audiences: ['ms_doctor'],
      });
      const revision = await opened.revision();
      app = buildServer({
        store: opened,
        issuer: 'https://auth.example',
        auditStore: { flushIntervalMs: 20 },
      });
      const server = app;
      await server.ready();
      const issued = await post(server, 'grant_type=client_credentials', {
        authorization: basicAuth(client.clientId, clientSecret),
      });
      await post(server, 'grant_type=client_credentials', {
        authorization: basicAuth(client.clientId, 'nope'),
      });
      await vi.waitFor(async () => expect(await opened.audit.list()).toHaveLength(2), {
        timeout: 10_000,
      });
      const events = await opened.audit.list();
      expect(events[0]).toMatchObject({
        outcome: 'issued',
        clientId: client.clientId,
        audience: 'ms_doctor',
        scopes: ['doctors:read'],
        jti: decodeJwt(issued.json().access_token).payload.jti,
        sourceAddress: '10.9.8.7',
        reason: null,
        status: 200,
      });
      expect(events[1]).toMatchObject({
        outcome: 'refused',
        clientId: client.clientId,
        reason: 'ERR_CLIENT_AUTH_FAILED',
        detail: 'secret mismatch',
        status: 401,
      });
      expect(await opened.revision()).toBe(revision);
      expect(await opened.audit.list({ clientId: 'someone-else' })).toEqual([]);
      expect(await opened.audit.list({ sinceMs: Date.now() + 60_000 })).toEqual([]);
      expect(await opened.audit.list({ limit: 1 })).toEqual([events[1]]);
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'purges events older than the retention period, at start and in batches',
    async () => {
      const opened = await openTestStore(dialect);
      const now = Date.now();
      const event = (timeMs: number): AuditEvent => ({
        timeMs,
        outcome: 'refused',
        clientId: null,
        audience: null,
        scopes: null,
        jti: null,
        sourceAddress: '10.0.0.1',
        reason: 'ERR_CLIENT_AUTH_FAILED',
        detail: null,
        status: 401,
      });
      const old = Array.from({ length: 2500 }, (_, i) => event(now - 31 * 86_400_000 - i));
      const recent = Array.from({ length: 3 }, (_, i) => event(now - 29 * 86_400_000 + i));
      await opened.audit.append([...old, ...recent]);
      app = buildServer({ store: opened, issuer: 'https://auth.example', auditStore: true });
      await app.ready();
      await vi.waitFor(
        async () =>
          expect(await opened.audit.list({ limit: 10_000 })).toEqual(
            recent.map((e) => ({ ...e, eventId: expect.any(String) })),
          ),
        { timeout: 10_000 },
      );
      expect(await opened.audit.purge(now)).toBe(3);
    },
  );
});

describe('audit table writer', () => {
  it('writes nothing without auditStore', async () => {
    const opened = await openTestStore();
    const { client, clientSecret } = await opened.clients.create({
      name: 'ms_admin',
      audiences: ['ms_doctor'],
    });
    app = buildServer({ store: opened, issuer: 'https://auth.example' });
    for (let i = 0; i < 5; i += 1) {
      await post(app, 'grant_type=client_credentials', {
        authorization: basicAuth(client.clientId, clientSecret),
      });
    }
    await app.close();
    app = undefined;
    expect(await opened.audit.list()).toEqual([]);
  });

  it('writes what is queued when the server closes', async () => {
    const opened = await openTestStore();
    const { client, clientSecret } = await opened.clients.create({
      name: 'ms_admin',
      audiences: ['ms_doctor'],
    });
    // A flush interval far longer than the test: only the close can write the events.
    app = buildServer({
      store: opened,
      issuer: 'https://auth.example',
      auditStore: { flushIntervalMs: 3_600_000 },
    });
    await app.ready();
    for (let i = 0; i < 3; i += 1) {
      await post(app, 'grant_type=client_credentials', {
        authorization: basicAuth(client.clientId, clientSecret),
      });
    }
    expect(await opened.audit.list()).toEqual([]);
    await app.close();
    app = undefined;
    expect(await opened.audit.list()).toHaveLength(3);
  });

  it('holds at most maxQueuedEvents while the database cannot take them, and logs how many it dropped', async () => {
    const opened = await openTestStore();
    const { server, lines } = serveWithLog(opened, {
      auditStore: { maxQueuedEvents: 3, flushIntervalMs: 3_600_000 },
    });
    await server.ready();
    await opened.close(); // the database is gone: every request is refused (503) and audited
    for (let i = 0; i < 10; i += 1) {
      const res = await post(server, 'grant_type=client_credentials', {
        authorization: basicAuth(crypto.randomUUID(), 'x'),
      });
      expect(res.statusCode).toBe(503);
    }
    await server.close();
    app = undefined;
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.filter((e) => e['msg'] === 'token request refused')).toHaveLength(10);
    const dropped = entries
      .filter((e) => String(e['msg']).startsWith('audit table writer fell behind'))
      .reduce((sum, e) => sum + Number(e['dropped']), 0);
    expect(dropped).toBeGreaterThanOrEqual(7);
    expect(entries.some((e) => e['msg'] === 'writing audit events failed; will retry')).toBe(true);
  });

  it('refuses misused audit options with a TypeError at construction', async () => {
    const opened = await openTestStore();
    for (const bad of [{ retentionSec: 0 }, { flushIntervalMs: -5 }, { maxQueued: 3 }]) {
      expect(() =>
        buildServer({ store: opened, issuer: 'https://auth.example', auditStore: bad as never }),
      ).toThrow(TypeError);
    }
  });
});
