import { createTokenClient, type TokenClient } from '@m2m-auth/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ResourceServer, startResourceServer } from './helpers/resource-server.js';
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

const INVALID_TOKEN = {
  'www-authenticate': 'Bearer realm="doctors", error="invalid_token", error_description="expired"',
};

let endpoint: TokenEndpoint;
let resource: ResourceServer;
let auth: TokenClient;

beforeEach(async () => {
  endpoint = await startTokenEndpoint();
  resource = await startResourceServer();
  // Date only: the discard bound counts per minute; HTTP stays real.
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
  auth = createTokenClient({
    tokenUrl: endpoint.url,
    clientId: 'ms_admin',
    clientSecret: 'admin-secret',
    audience: 'ms_doctor',
    env: {},
  });
});
afterEach(async () => {
  vi.useRealTimers();
  await resource.close();
  await endpoint.close();
});

/** Resource server that rejects `token-1` as invalid_token and accepts any other token. */
function rejectFirstToken(): void {
  resource.answer((call) =>
    call.headers['authorization'] === 'Bearer token-1'
      ? { status: 401, headers: INVALID_TOKEN }
      : { status: 200 },
  );
}

/** Gets token-1 into the cache and ages it by a second (its age must not matter). */
async function cacheAgedToken(): Promise<void> {
  await auth.getToken();
  vi.advanceTimersByTime(1_000);
}

describe('RFC 6750 §2.1 Authorization request header', () => {
  it('sends the token as Authorization: Bearer for the audience of the call', async () => {
    const res = await auth.fetch(
      `${resource.origin}/doctors/api/some-data`,
      {},
      { audience: 'ms_nurse' },
    );
    expect(res.status).toBe(200);
    expect(resource.calls[0]?.headers['authorization']).toBe('Bearer token-1');
    expect(endpoint.requests[0]?.form.get('audience')).toBe('ms_nurse');
  });

  it('uses the client default audience when the call names none', async () => {
    await auth.fetch(`${resource.origin}/x`);
    expect(endpoint.requests[0]?.form.get('audience')).toBe('ms_doctor');
  });

  it.each([
    ['a plain object', { 'x-trace': 't1', Authorization: 'Basic old' }],
    ['a Headers object', new Headers({ 'x-trace': 't1', authorization: 'Basic old' })],
    [
      'an array of pairs',
      [
        ['x-trace', 't1'],
        ['AUTHORIZATION', 'Basic old'],
      ] as [string, string][],
    ],
  ])(
    'keeps the caller headers given as %s and replaces their Authorization',
    async (_k, headers) => {
      await auth.fetch(`${resource.origin}/x`, { method: 'POST', headers, body: 'hello' });
      const call = resource.calls[0];
      expect(call?.headers['x-trace']).toBe('t1');
      expect(call?.headers['authorization']).toBe('Bearer token-1');
      expect(call?.method).toBe('POST');
      expect(call?.body).toBe('hello');
    },
  );

  it('keeps the headers of a Request given as input', async () => {
    const request = new Request(`${resource.origin}/x`, { headers: { 'x-trace': 't2' } });
    await auth.fetch(request);
    expect(resource.calls[0]?.headers['x-trace']).toBe('t2');
    expect(resource.calls[0]?.headers['authorization']).toBe('Bearer token-1');
  });

  it('does not modify the init object the caller passed', async () => {
    const init = { headers: { 'x-trace': 't3' } };
    await auth.fetch(`${resource.origin}/x`, init);
    expect(init).toEqual({ headers: { 'x-trace': 't3' } });
  });

  it('works with its methods detached from the client', async () => {
    const { fetch: authFetch, getToken } = auth;
    expect(await getToken()).toBe('token-1');
    expect((await authFetch(`${resource.origin}/x`)).status).toBe(200);
  });
});

describe('RFC 6750 §3.1 retry once on invalid_token', () => {
  it.each([
    ['no body', () => undefined],
    ['a string body', () => '{"a":1}'],
    ['a URLSearchParams body', () => new URLSearchParams({ a: '1' })],
    ['a Uint8Array body', () => new TextEncoder().encode('{"a":1}')],
    ['a Blob body', () => new Blob(['{"a":1}'])],
  ])('gets a new token and sends the request again with %s', async (_kind, body) => {
    await cacheAgedToken();
    rejectFirstToken();
    const payload = body();
    const res = await auth.fetch(`${resource.origin}/x`, {
      method: payload === undefined ? 'GET' : 'POST',
      body: payload ?? null,
    });
    expect(res.status).toBe(200);
    expect(resource.calls.map((c) => c.headers['authorization'])).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(resource.calls[1]?.body).toBe(resource.calls[0]?.body);
    expect(endpoint.requests).toHaveLength(2);
    expect(await auth.getToken()).toBe('token-2');
  });

  it('returns the second 401 as it is, without a third attempt', async () => {
    await cacheAgedToken();
    resource.answer(() => ({ status: 401, headers: INVALID_TOKEN }));
    const res = await auth.fetch(`${resource.origin}/x`);
    expect(res.status).toBe(401);
    expect(resource.calls).toHaveLength(2);
    expect(endpoint.requests).toHaveLength(2);
  });

  it.each([
    ['a 401 without an error (no or another credential expected)', 401, 'Bearer realm="doctors"'],
    ['a 401 with error="invalid_request"', 401, 'Bearer error="invalid_request"'],
    ['a 403 with error="insufficient_scope"', 403, 'Bearer error="insufficient_scope"'],
    [
      'a 401 whose description merely mentions invalid_token',
      401,
      'Bearer error_description="x invalid_token"',
    ],
  ])('does not retry %s', async (_kind, status, challenge) => {
    await cacheAgedToken();
    resource.answer(() => ({ status, headers: { 'www-authenticate': challenge } }));
    const res = await auth.fetch(`${resource.origin}/x`);
    expect(res.status).toBe(status);
    expect(resource.calls).toHaveLength(1);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('does not retry a request whose body is a stream, which cannot be sent twice', async () => {
    await cacheAgedToken();
    rejectFirstToken();
    const stream = new Blob(['streamed']).stream();
    const res = await auth.fetch(`${resource.origin}/x`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(resource.calls).toHaveLength(1);
    expect(resource.calls[0]?.body).toBe('streamed');
  });

  it('does not retry a Request input that carries a body', async () => {
    await cacheAgedToken();
    rejectFirstToken();
    const request = new Request(`${resource.origin}/x`, { method: 'POST', body: 'once' });
    const res = await auth.fetch(request);
    expect(res.status).toBe(401);
    expect(resource.calls).toHaveLength(1);
  });

  it('retries once with a new token even when the rejected one was obtained just before', async () => {
    await auth.getToken();
    rejectFirstToken();
    const res = await auth.fetch(`${resource.origin}/x`);
    expect(res.status).toBe(200);
    expect(resource.calls.map((c) => c.headers['authorization'])).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('discards at most 10 tokens per audience and scope per minute, then returns the 401 as it is', async () => {
    resource.answer(() => ({ status: 401, headers: INVALID_TOKEN }));
    for (let call = 1; call <= 10; call++) {
      const res = await auth.fetch(`${resource.origin}/x`);
      expect(res.status).toBe(401);
      // One token request per call besides the first token: exactly one retry each.
      expect(resource.calls).toHaveLength(2 * call);
      expect(endpoint.requests).toHaveLength(call + 1);
    }
    // The 11th call within the minute: no discard, no token request, no retry.
    let res = await auth.fetch(`${resource.origin}/x`);
    expect(res.status).toBe(401);
    expect(resource.calls).toHaveLength(21);
    expect(endpoint.requests).toHaveLength(11);
    // Another audience has its own bound.
    res = await auth.fetch(`${resource.origin}/x`, {}, { audience: 'ms_billing' });
    expect(resource.calls).toHaveLength(23);
    expect(endpoint.requests).toHaveLength(13);
    // A minute after the first discard, one more is allowed.
    vi.advanceTimersByTime(60_000);
    res = await auth.fetch(`${resource.origin}/x`);
    expect(resource.calls).toHaveLength(25);
    expect(endpoint.requests).toHaveLength(14);
  });

  it('asks for one new token when many concurrent calls are rejected with the same token', async () => {
    await cacheAgedToken();
    rejectFirstToken();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => auth.fetch(`${resource.origin}/x`)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('stops waiting for a token when the caller aborts', async () => {
    vi.useRealTimers();
    endpoint.reply(() => ({ hang: true }));
    // Short limits, so the abandoned request ends soon after the test closes the endpoint.
    const impatient = createTokenClient({
      tokenUrl: endpoint.url,
      clientId: 'ms_admin',
      clientSecret: 'admin-secret',
      env: {},
      requestTimeoutMs: 200,
      totalTimeoutMs: 200,
    });
    const controller = new AbortController();
    const pending = impatient.fetch(`${resource.origin}/x`, { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    expect(resource.calls).toHaveLength(0);
  });
});
