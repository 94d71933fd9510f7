import { createTokenClient } from '@m2m-auth/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

// A client_id and secret with characters that form-urlencoding changes (RFC 6749 §2.3.1, Appendix B).
const CLIENT_ID = 'ms admin:1';
const CLIENT_SECRET = 'sëcret+/=:&%';

let endpoint: TokenEndpoint;
beforeEach(async () => {
  endpoint = await startTokenEndpoint();
});
afterEach(async () => {
  await endpoint.close();
});

function firstRequest() {
  const request = endpoint.requests[0];
  if (request === undefined) throw new Error('no request received');
  return request;
}

describe('RFC 6749 §4.4.2 access token request', () => {
  it('sends grant_type=client_credentials as a form POST with scope and audience', async () => {
    const auth = createTokenClient({
      tokenUrl: endpoint.url,
      clientId: 'ms_admin',
      clientSecret: 's',
      env: {},
    });
    await auth.getToken({ audience: 'ms_doctor', scope: 'doctors:write doctors:read' });
    const request = firstRequest();
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers['accept']).toBe('application/json');
    expect(Object.fromEntries(request.form)).toEqual({
      grant_type: 'client_credentials',
      scope: 'doctors:read doctors:write',
      audience: 'ms_doctor',
    });
  });

  it('leaves scope and audience out when neither the call nor the client names them', async () => {
    const auth = createTokenClient({
      tokenUrl: endpoint.url,
      clientId: 'ms_admin',
      clientSecret: 's',
      env: {},
    });
    await auth.getToken();
    expect(Object.fromEntries(firstRequest().form)).toEqual({ grant_type: 'client_credentials' });
  });
});

describe('RFC 6749 §2.3.1 client authentication', () => {
  it('client_secret_basic form-urlencodes client_id and secret before base64 (the default)', async () => {
    const auth = createTokenClient({
      tokenUrl: endpoint.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      env: {},
    });
    await auth.getToken();
    const request = firstRequest();
    const header = request.headers['authorization'] ?? '';
    expect(header).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    expect(id).toBe('ms+admin%3A1');
    expect(decodeURIComponent((id ?? '').replaceAll('+', ' '))).toBe(CLIENT_ID);
    expect(decodeURIComponent((secret ?? '').replaceAll('+', ' '))).toBe(CLIENT_SECRET);
    expect(request.form.has('client_id')).toBe(false);
    expect(request.form.has('client_secret')).toBe(false);
  });

  it('client_secret_post puts client_id and client_secret in the body and sends no Authorization', async () => {
    const auth = createTokenClient({
      tokenUrl: endpoint.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authMethod: 'client_secret_post',
      env: {},
    });
    await auth.getToken({ scope: 'a' });
    const request = firstRequest();
    expect(request.headers['authorization']).toBeUndefined();
    expect(request.form.get('client_id')).toBe(CLIENT_ID);
    expect(request.form.get('client_secret')).toBe(CLIENT_SECRET);
    expect(request.form.get('scope')).toBe('a');
  });
});

describe('RFC 6749 §3.2 token endpoint address', () => {
  it('appends /oauth/token to an AUTH_URL that names only the authorization server', async () => {
    const base = new URL(endpoint.url).origin; // http://127.0.0.1:<port>, no path
    const auth = createTokenClient({
      env: { AUTH_URL: base, OAUTH_CLIENT_ID: 'ms_admin', OAUTH_CLIENT_SECRET: 's' },
    });
    await auth.getToken();
    expect(firstRequest().url).toBe('/oauth/token');
  });

  it('keeps the query of a token endpoint URL', async () => {
    const auth = createTokenClient({
      tokenUrl: `${endpoint.url}?tenant=a`,
      clientId: 'ms_admin',
      clientSecret: 's',
      env: {},
    });
    await auth.getToken();
    expect(firstRequest().url).toBe('/oauth/token?tenant=a');
  });
});
