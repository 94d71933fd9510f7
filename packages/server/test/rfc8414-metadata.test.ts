import { startServer } from '@m2m-auth/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  postForm,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
beforeAll(async () => {
  auth = await startTestAuthServer();
  await auth.createClient({ name: 'ms_admin', scopes: ['doctors:read', 'colleges:read'] });
  await auth.createClient({ name: 'ms_billing', scopes: ['invoices:write', 'doctors:read'] });
});
afterAll(async () => {
  await auth?.close();
});

const METADATA = '/.well-known/oauth-authorization-server';

describe('authorization server metadata (RFC 8414)', () => {
  it('describes the issuer, its endpoints and what it supports', async () => {
    const res = await readResponse(await fetch(`${auth.url}${METADATA}`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      issuer: auth.issuer,
      token_endpoint: `${auth.issuer}/oauth/token`,
      jwks_uri: `${auth.issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      scopes_supported: ['colleges:read', 'doctors:read', 'invoices:write'],
      introspection_endpoint: `${auth.issuer}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: `${auth.issuer}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
    });
  });

  it('lets the metadata be cached for the configured time', async () => {
    const res = await fetch(`${auth.url}${METADATA}`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  });

  it('advertises endpoints that work', async () => {
    const meta = (await readResponse(await fetch(`${auth.url}${METADATA}`))).body;
    const jwks = await readResponse(await fetch(String(meta.jwks_uri)));
    expect(Array.isArray(jwks.body.keys)).toBe(true);
    const { clientId, clientSecret } = await auth.createClient({
      name: 'ms_probe',
      audiences: ['svc'],
    });
    const token = await postForm(
      String(meta.token_endpoint),
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(clientId, clientSecret) },
    );
    expect(token.status).toBe(200);
  });

  it('updates scopes_supported when clients change, and leaves revoked clients out', async () => {
    const { clientId } = await auth.createClient({ name: 'ms_lab', scopes: ['lab:read'] });
    let scopes = (await readResponse(await fetch(`${auth.url}${METADATA}`))).body.scopes_supported;
    expect(scopes).toContain('lab:read');
    await auth.cli.clients.revoke(clientId);
    scopes = (await readResponse(await fetch(`${auth.url}${METADATA}`))).body.scopes_supported;
    expect(scopes).not.toContain('lab:read');
  });

  it('keeps an explicit issuer verbatim and builds endpoints under it', async () => {
    const server = await startServer({
      store: auth.store,
      port: 0,
      issuer: 'https://auth.example.internal/m2m/',
      metadataMaxAgeSec: 60,
    });
    try {
      // The issuer's path is where the endpoints live; the metadata is also at RFC 8414 §3's place.
      const res = await readResponse(await fetch(`${server.url}/m2m${METADATA}`));
      const rfc8414 = await readResponse(await fetch(`${server.url}${METADATA}/m2m`));
      expect(rfc8414.body).toEqual(res.body);
      expect(res.body.issuer).toBe('https://auth.example.internal/m2m/');
      expect(res.body.token_endpoint).toBe('https://auth.example.internal/m2m/oauth/token');
      expect(res.body.jwks_uri).toBe('https://auth.example.internal/m2m/.well-known/jwks.json');
      expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    } finally {
      await server.close();
    }
  });
});
