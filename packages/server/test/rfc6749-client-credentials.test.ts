import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  basicAuth,
  decodeJwt,
  exchangeRaw,
  postForm,
  postJson,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
beforeAll(async () => {
  auth = await startTestAuthServer();
});
afterAll(async () => {
  await auth?.close();
});

let counter = 0;
/** A fresh client with a unique name. */
function newClient(
  overrides: { scopes?: string[]; audiences?: string[]; tokenTtlSec?: number } = {},
): Promise<{ clientId: string; clientSecret: string }> {
  counter += 1;
  return auth.createClient({
    name: `svc_${counter}`,
    scopes: ['doctors:read', 'doctors:write'],
    audiences: ['ms_doctor'],
    ...overrides,
  });
}

async function expectError(
  response: Promise<Response>,
  status: number,
  error: string,
): Promise<{ headers: Headers; body: Record<string, unknown> }> {
  const result = await readResponse(await response);
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toMatch(/^application\/json/);
  expect(result.body.error).toBe(error);
  expect(typeof result.body.error_description).toBe('string');
  expect(Object.keys(result.body).sort()).toEqual(['error', 'error_description']);
  return result;
}

describe('successful client_credentials requests (RFC 6749 §4.4)', () => {
  it('issues a token to a client authenticating with HTTP Basic and a form body', async () => {
    const { clientId, clientSecret } = await newClient();
    const res = await readResponse(
      await postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: basicAuth(clientId, clientSecret) },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(Object.keys(res.body).sort()).toEqual([
      'access_token',
      'expires_in',
      'scope',
      'token_type',
    ]);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.expires_in).toBe(900);
    expect(res.body.scope).toBe('doctors:read doctors:write');
    expect(decodeJwt(String(res.body.access_token)).payload.client_id).toBe(clientId);
  });

  it('issues a token to a client sending client_id and client_secret in a form body', async () => {
    const { clientId, clientSecret } = await newClient();
    const res = await postForm(auth.tokenUrl, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(res.status).toBe(200);
  });

  it('accepts a JSON body with body credentials, as Laravel Passport does', async () => {
    const { clientId, clientSecret } = await newClient();
    const res = await readResponse(
      await postJson(auth.tokenUrl, {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'doctors:read',
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('doctors:read');
  });

  it('accepts a JSON body with HTTP Basic credentials', async () => {
    const { clientId, clientSecret } = await newClient();
    const res = await postJson(
      auth.tokenUrl,
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(clientId, clientSecret) },
    );
    expect(res.status).toBe(200);
  });

  it('accepts media types with parameters and in any letter case', async () => {
    const { clientId, clientSecret } = await newClient();
    const res = await fetch(auth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'Application/JSON; charset=UTF-8' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }),
    });
    expect(res.status).toBe(200);
  });

  it('decodes Basic credentials that were form-encoded before base64 (RFC 6749 §2.3.1)', async () => {
    const { clientId, clientSecret } = await newClient();
    const percentEncodeAll = (value: string) =>
      [...Buffer.from(value)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    const header = `Basic ${Buffer.from(`${percentEncodeAll(clientId)}:${percentEncodeAll(clientSecret)}`).toString('base64')}`;
    const res = await postForm(
      auth.tokenUrl,
      { grant_type: 'client_credentials' },
      { authorization: header },
    );
    expect(res.status).toBe(200);
  });

  it('accepts Basic credentials sent without the form encoding step', async () => {
    const { clientId, clientSecret } = await newClient();
    const header = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const res = await postForm(
      auth.tokenUrl,
      { grant_type: 'client_credentials' },
      { authorization: header },
    );
    expect(res.status).toBe(200);
  });

  it('tolerates a body client_id next to Basic credentials when it names the same client', async () => {
    const { clientId, clientSecret } = await newClient();
    const res = await postForm(
      auth.tokenUrl,
      { grant_type: 'client_credentials', client_id: clientId },
      { authorization: basicAuth(clientId, clientSecret) },
    );
    expect(res.status).toBe(200);
  });

  it('uses the lifetime registered for the client', async () => {
    const { clientId, clientSecret } = await newClient({ tokenTtlSec: 120 });
    const res = await readResponse(
      await postForm(auth.tokenUrl, {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }),
    );
    expect(res.body.expires_in).toBe(120);
    const { payload } = decodeJwt(String(res.body.access_token));
    expect(Number(payload.exp) - Number(payload.iat)).toBe(120);
  });

  it('ignores unrecognized parameters (RFC 6749 §3.2)', async () => {
    const { clientId, clientSecret } = await newClient();
    const res = await postForm(auth.tokenUrl, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      foo: 'bar',
    });
    expect(res.status).toBe(200);
  });
});

describe('scope (RFC 6749 §3.3)', () => {
  async function grantedScope(scope: string | undefined, allowed: string[]): Promise<Response> {
    const { clientId, clientSecret } = await newClient({ scopes: allowed });
    return postForm(
      auth.tokenUrl,
      { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) },
      { authorization: basicAuth(clientId, clientSecret) },
    );
  }

  it('grants every allowed scope when the request names none', async () => {
    const res = await readResponse(await grantedScope(undefined, ['a', 'b', 'c']));
    expect(res.body.scope).toBe('a b c');
    expect(decodeJwt(String(res.body.access_token)).payload.scope).toBe('a b c');
  });

  it('treats an empty scope parameter as absent (RFC 6749 §3.1)', async () => {
    const res = await readResponse(await grantedScope('', ['a', 'b']));
    expect(res.body.scope).toBe('a b');
  });

  it('grants every allowed scope for the wildcard *', async () => {
    const res = await readResponse(await grantedScope('*', ['a', 'b']));
    expect(res.body.scope).toBe('a b');
  });

  it('grants exactly the requested subset, without duplicates, in request order', async () => {
    const res = await readResponse(await grantedScope('c  a c', ['a', 'b', 'c']));
    expect(res.body.scope).toBe('c a');
    expect(decodeJwt(String(res.body.access_token)).payload.scope).toBe('c a');
  });

  it('refuses a scope the client is not allowed with invalid_scope', async () => {
    await expectError(grantedScope('a admin', ['a', 'b']), 400, 'invalid_scope');
  });

  it('refuses any named scope for a client allowed none', async () => {
    await expectError(grantedScope('a', []), 400, 'invalid_scope');
  });

  it('issues an empty scope to a client allowed none that asks for none', async () => {
    const res = await readResponse(await grantedScope(undefined, []));
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('');
  });
});

describe('malformed requests get invalid_request, never a 500 or HTML', () => {
  it('refuses a request without grant_type', async () => {
    const { clientId, clientSecret } = await newClient();
    await expectError(
      postForm(auth.tokenUrl, { client_id: clientId, client_secret: clientSecret }),
      400,
      'invalid_request',
    );
  });

  it('refuses an empty POST', async () => {
    await expectError(fetch(auth.tokenUrl, { method: 'POST' }), 400, 'invalid_request');
  });

  it('refuses a repeated parameter (RFC 6749 §3.2)', async () => {
    const { clientId, clientSecret } = await newClient();
    await expectError(
      postForm(
        auth.tokenUrl,
        [
          ['grant_type', 'client_credentials'],
          ['scope', 'doctors:read'],
          ['scope', 'doctors:write'],
        ],
        { authorization: basicAuth(clientId, clientSecret) },
      ),
      400,
      'invalid_request',
    );
    await expectError(
      postForm(auth.tokenUrl, [
        ['grant_type', 'client_credentials'],
        ['grant_type', 'client_credentials'],
        ['client_id', clientId],
        ['client_secret', clientSecret],
      ]),
      400,
      'invalid_request',
    );
  });

  it('refuses unsupported content types', async () => {
    for (const contentType of [
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/xml',
    ]) {
      await expectError(
        fetch(auth.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: 'grant_type=client_credentials',
        }),
        400,
        'invalid_request',
      );
    }
  });

  it('refuses a body without a content type', async () => {
    await expectError(
      fetch(auth.tokenUrl, {
        method: 'POST',
        body: new Blob(['grant_type=client_credentials']),
      }),
      400,
      'invalid_request',
    );
  });

  it('refuses malformed JSON, JSON that is not an object, and non-string values', async () => {
    const send = (body: string) =>
      fetch(auth.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    await expectError(send('{"grant_type":'), 400, 'invalid_request');
    await expectError(send('["client_credentials"]'), 400, 'invalid_request');
    await expectError(send('null'), 400, 'invalid_request');
    await expectError(send(''), 400, 'invalid_request');
    await expectError(send('{"grant_type":42}'), 400, 'invalid_request');
    await expectError(send('{"grant_type":["client_credentials"]}'), 400, 'invalid_request');
    await expectError(send(`${'['.repeat(5_000)}${']'.repeat(5_000)}`), 400, 'invalid_request');
  });

  it('refuses invalid UTF-8 and broken percent-encoding', async () => {
    const send = (body: Buffer | string, type: string) =>
      fetch(auth.tokenUrl, { method: 'POST', headers: { 'content-type': type }, body });
    await expectError(
      send('grant_type=client_credentials&scope=%FF', 'application/x-www-form-urlencoded'),
      400,
      'invalid_request',
    );
    await expectError(
      send('grant_type=client_credentials&scope=%E', 'application/x-www-form-urlencoded'),
      400,
      'invalid_request',
    );
    await expectError(
      send(Buffer.from([0x67, 0x3d, 0xff, 0xfe]), 'application/x-www-form-urlencoded'),
      400,
      'invalid_request',
    );
    await expectError(
      send(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'application/json'),
      400,
      'invalid_request',
    );
  });

  it('refuses an oversized body with 413 and invalid_request', async () => {
    await expectError(
      postForm(auth.tokenUrl, { grant_type: 'client_credentials', pad: 'x'.repeat(20_000) }),
      413,
      'invalid_request',
    );
  });

  it('refuses Basic credentials and a body client_secret together', async () => {
    const { clientId, clientSecret } = await newClient();
    await expectError(
      postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
        { authorization: basicAuth(clientId, clientSecret) },
      ),
      400,
      'invalid_request',
    );
  });

  it('refuses a body client_id naming another client than the Basic credentials', async () => {
    const { clientId, clientSecret } = await newClient();
    await expectError(
      postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials', client_id: 'someone-else' },
        { authorization: basicAuth(clientId, clientSecret) },
      ),
      400,
      'invalid_request',
    );
  });

  it('refuses a request with two Authorization headers, in either order, with invalid_request', async () => {
    const { clientId, clientSecret } = await newClient();
    const good = basicAuth(clientId, clientSecret);
    const bad = basicAuth(clientId, 'wrong');
    const path = new URL(auth.tokenUrl).pathname;
    const body = 'grant_type=client_credentials';
    for (const [first, second] of [
      [good, bad],
      [bad, good],
    ]) {
      const reply = await exchangeRaw(auth.url, [
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${first}\r\nAuthorization: ${second}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ]);
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect(reply).toContain('"error":"invalid_request"');
      expect(reply).not.toContain('access_token');
    }
  });

  it('answers bytes that are not HTTP with a JSON 400', async () => {
    const reply = await exchangeRaw(auth.url, ['THIS IS NOT HTTP\r\n\r\n']);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toMatch(/content-type: application\/json/i);
    expect(reply).toContain('"error":"invalid_request"');
  });
});

describe('grant type', () => {
  it('refuses other grant types with unsupported_grant_type', async () => {
    const { clientId, clientSecret } = await newClient();
    for (const grantType of ['password', 'authorization_code', 'refresh_token', 'nonsense']) {
      await expectError(
        postForm(
          auth.tokenUrl,
          { grant_type: grantType },
          { authorization: basicAuth(clientId, clientSecret) },
        ),
        400,
        'unsupported_grant_type',
      );
    }
  });
});

describe('client authentication failures (RFC 6749 §5.2 invalid_client)', () => {
  it('answers 401 with WWW-Authenticate when no credentials are sent', async () => {
    const { headers } = await expectError(
      postForm(auth.tokenUrl, { grant_type: 'client_credentials' }),
      401,
      'invalid_client',
    );
    expect(headers.get('www-authenticate')).toBe('Basic realm="m2m-auth"');
  });

  it('answers a client_id without a secret with invalid_client', async () => {
    const { clientId } = await newClient();
    await expectError(
      postForm(auth.tokenUrl, { grant_type: 'client_credentials', client_id: clientId }),
      401,
      'invalid_client',
    );
  });

  it('gives the same answer for an unknown client, a wrong secret and a revoked client', async () => {
    const known = await newClient();
    const revoked = await newClient();
    await auth.cli.clients.revoke(revoked.clientId);
    const attempts = [
      basicAuth('no-such-client', known.clientSecret),
      basicAuth(known.clientId, `${known.clientSecret.slice(0, -1)}x`),
      basicAuth(revoked.clientId, revoked.clientSecret),
    ];
    const answers = [];
    for (const authorization of attempts) {
      const res = await postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization },
      );
      const text = await res.text();
      answers.push({
        status: res.status,
        wwwAuthenticate: res.headers.get('www-authenticate'),
        cacheControl: res.headers.get('cache-control'),
        text,
      });
    }
    expect(answers[0]).toEqual({
      status: 401,
      wwwAuthenticate: 'Basic realm="m2m-auth"',
      cacheControl: 'no-store',
      text: '{"error":"invalid_client","error_description":"Client authentication failed."}',
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('gives the same answer for a wrong secret sent in the body', async () => {
    const { clientId } = await newClient();
    await expectError(
      postForm(auth.tokenUrl, {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: 'wrong',
      }),
      401,
      'invalid_client',
    );
  });

  it('refuses Authorization schemes other than Basic', async () => {
    const { headers } = await expectError(
      postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: 'Bearer abc.def.ghi' },
      ),
      401,
      'invalid_client',
    );
    expect(headers.get('www-authenticate')).toBe('Basic realm="m2m-auth"');
  });

  it('refuses Basic values that are not base64 of id:secret', async () => {
    for (const value of [
      'Basic !!!',
      'Basic',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
    ]) {
      await expectError(
        postForm(auth.tokenUrl, { grant_type: 'client_credentials' }, { authorization: value }),
        401,
        'invalid_client',
      );
    }
  });

  it('takes a Basic value that does not form-decode as it is, instead of failing the request', async () => {
    const { clientSecret } = await newClient();
    const header = `Basic ${Buffer.from(`abc%zz:${clientSecret}`).toString('base64')}`;
    await expectError(
      postForm(auth.tokenUrl, { grant_type: 'client_credentials' }, { authorization: header }),
      401,
      'invalid_client',
    );
  });
});

describe('changes made through another connection (the CLI) apply to the next request', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses a client revoked after it obtained a token', async () => {
    const { clientId, clientSecret } = await newClient();
    const request = () =>
      postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: basicAuth(clientId, clientSecret) },
      );
    expect((await request()).status).toBe(200);
    await auth.cli.clients.revoke(clientId);
    await expectError(request(), 401, 'invalid_client');
  });

  it('refuses the old secret at once after a rotation without grace', async () => {
    const { clientId, clientSecret } = await newClient();
    const request = (secret: string) =>
      postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: basicAuth(clientId, secret) },
      );
    expect((await request(clientSecret)).status).toBe(200);
    const rotated = await auth.cli.clients.rotateSecret(clientId, 0);
    await expectError(request(clientSecret), 401, 'invalid_client');
    expect((await request(rotated.clientSecret)).status).toBe(200);
  });

  it('accepts both secrets during the grace period and only the new one after it', async () => {
    const { clientId, clientSecret } = await newClient();
    const request = (secret: string) =>
      postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: basicAuth(clientId, secret) },
      );
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const rotated = await auth.cli.clients.rotateSecret(clientId, 60);
    expect((await request(clientSecret)).status).toBe(200);
    expect((await request(rotated.clientSecret)).status).toBe(200);
    vi.setSystemTime(new Date('2030-01-01T00:00:59Z'));
    expect((await request(clientSecret)).status).toBe(200);
    vi.setSystemTime(new Date('2030-01-01T00:01:00Z'));
    await expectError(request(clientSecret), 401, 'invalid_client');
    expect((await request(rotated.clientSecret)).status).toBe(200);
  });

  it('applies new scopes to the next token', async () => {
    const { clientId, clientSecret } = await newClient({ scopes: ['a'] });
    const request = () =>
      postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: basicAuth(clientId, clientSecret) },
      );
    expect((await readResponse(await request())).body.scope).toBe('a');
    await auth.cli.clients.update(clientId, { scopes: ['a', 'b'] });
    expect((await readResponse(await request())).body.scope).toBe('a b');
  });
});

describe('other methods and paths', () => {
  it('answers GET /oauth/token with 405 and Allow: POST', async () => {
    const { headers } = await expectError(fetch(auth.tokenUrl), 405, 'method_not_allowed');
    expect(headers.get('allow')).toBe('POST');
  });

  it('answers an unknown path with a JSON 404', async () => {
    await expectError(fetch(`${auth.url}/oauth/authorize`), 404, 'not_found');
    await expectError(fetch(`${auth.url}/`, { method: 'POST' }), 404, 'not_found');
  });
});
