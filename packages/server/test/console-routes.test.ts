/**
 * The console's routes on the admin listener, over real sockets: its static files under a strict
 * Content-Security-Policy and nothing else under /console/, and the sign-in that runs the client
 * credentials grant for the admin audience only (audited, no Basic challenge). The browser tests
 * drive the pages themselves (console-browser.test.ts).
 */
import { request } from 'node:http';
import { openStore, type RunningServer, startServer } from '@m2m-auth/server';
import { createClient } from '@m2m-auth/server/admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from './helpers/auth-server.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let server: RunningServer;
let admin: string;
let adminClient: { clientId: string; secret: string };
let serviceClient: { clientId: string; secret: string };

function signIn(body: unknown): Promise<Response> {
  return fetch(`${admin}/console/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** GET with the path sent as written (fetch would resolve `..` segments first). */
function rawGet(url: string, path: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console on the admin listener', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const store = await openStore({ databaseUrl: database.url, kek: randomKek() });
    await store.keys.generate('ES256', { state: 'active' });
    const created = await createClient(store, {
      name: 'ops',
      audiences: ['m2m-auth-admin'],
      scopes: ['clients:read', 'audit:read'],
    });
    adminClient = { clientId: created.client.clientId, secret: created.clientSecret };
    const service = await createClient(store, { name: 'ms_caller', audiences: ['ms_doctor'] });
    serviceClient = { clientId: service.client.clientId, secret: service.clientSecret };
    server = await startServer({
      store,
      port: 0,
      adminPort: 0,
      auditStore: { flushIntervalMs: 50 },
    });
    admin = server.adminUrl as string;
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('serves its page, script, style and icon with a default-src self policy', async () => {
    const redirect = await fetch(`${admin}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
    for (const [path, type] of [
      ['/console/', 'text/html; charset=utf-8'],
      ['/console/console.js', 'text/javascript; charset=utf-8'],
      ['/console/console.css', 'text/css; charset=utf-8'],
      ['/console/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await fetch(`${admin}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'",
      );
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const text = await res.text();
      // Nothing from another origin: no absolute http(s) URL in any of the files but the SVG namespace.
      expect(text.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    }
    const html = await (await fetch(`${admin}/console/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('serves no other file under /console/, however the path is written', async () => {
    for (const path of [
      '/console/index.html.bak',
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/%2e%2e%2fpackage.json',
      '/console//etc/passwd',
    ]) {
      expect(await rawGet(admin, path), path).toBe(404);
    }
    // The public listener has no console.
    expect((await fetch(`${server.url}/console/`)).status).toBe(404);
  });

  it('signs an admin client in with a token for the admin API, and audits it', async () => {
    const res = await signIn({
      client_id: adminClient.clientId,
      client_secret: adminClient.secret,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { access_token: string; scope: string; expires_in: number };
    expect(body.scope).toBe('clients:read audit:read');
    const claims = decodeJwt(body.access_token).payload;
    expect(claims['aud']).toBe('m2m-auth-admin');
    expect(claims['client_id']).toBe(adminClient.clientId);
    const clients = await fetch(`${admin}/admin/v1/clients`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(clients.status).toBe(200);

    const wrong = await signIn({ client_id: adminClient.clientId, client_secret: 'not-it' });
    expect(wrong.status).toBe(401);
    // No Basic challenge: a browser would open its own password dialog.
    expect(wrong.headers.get('www-authenticate')).toBeNull();
    expect(await wrong.json()).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
      code: 'ERR_CLIENT_AUTH_FAILED',
    });

    // A client of another audience gets no token here: the sign-in asks for the admin audience.
    const service = await signIn({
      client_id: serviceClient.clientId,
      client_secret: serviceClient.secret,
    });
    expect(service.status).toBe(400);
    expect(((await service.json()) as { code: string }).code).toBe('ERR_AUDIENCE_NOT_ALLOWED');

    const extra = await signIn({ client_id: 'x', client_secret: 'y', audience: 'ms_doctor' });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { code: string }).code).toBe('ERR_ADMIN_REQUEST_INVALID');

    // Every sign-in is an audit event, like a request to the token endpoint.
    let events: { outcome: string; client_id: string; reason: string | null }[] = [];
    for (let attempt = 0; attempt < 50 && events.length < 3; attempt++) {
      const read = await fetch(`${admin}/admin/v1/audit?limit=10`, {
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      events = ((await read.json()) as { events: typeof events }).events;
      if (events.length < 3) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(events.map((e) => [e.outcome, e.client_id, e.reason])).toEqual([
      ['issued', adminClient.clientId, null],
      ['refused', adminClient.clientId, 'ERR_CLIENT_AUTH_FAILED'],
      ['refused', serviceClient.clientId, 'ERR_AUDIENCE_NOT_ALLOWED'],
    ]);
  });
});
