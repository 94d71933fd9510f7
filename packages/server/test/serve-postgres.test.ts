import { type Store, startServer } from '@m2m-auth/server';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readResponse, requestClientCredentials } from './helpers/auth-server.js';
import { dialectUnavailable } from './helpers/test-database.js';
import { openTestStores, type TestStores } from './helpers/test-stores.js';

describe.skipIf(dialectUnavailable('postgres'))('the authorization server on PostgreSQL', () => {
  let stores: TestStores;
  let store: Store;
  let cli: Store;
  beforeEach(async () => {
    stores = await openTestStores('postgres');
    ({ store, cli } = stores);
  });
  afterEach(async () => {
    await stores?.close();
  });

  it('issues tokens that verify against its JWKS, and applies a revocation within the check interval', async () => {
    const { client, clientSecret } = await cli.clients.create({
      name: 'ms_admin',
      audiences: ['ms_doctor'],
    });
    const server = await startServer({ store, port: 0, revisionCheckIntervalMs: 100 });
    try {
      const request = () => requestClientCredentials(server.url, client.clientId, clientSecret);
      const res = await readResponse(await request());
      expect(res.status).toBe(200);
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      await jwtVerify(String(res.body.access_token), jwks, {
        issuer: server.issuer,
        audience: 'ms_doctor',
      });

      await cli.clients.revoke(client.clientId);
      await vi.waitFor(
        async () => {
          expect((await request()).status).toBe(401);
        },
        { timeout: 5_000, interval: 50 },
      );
    } finally {
      await server.close();
    }
  });
});
