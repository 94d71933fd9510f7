import { createTokenClient, TokenClientError } from '@m2m-auth/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { until } from '../../../test/helpers/async.js';
import { issueTokens, startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

// Only Date is faked: the cache reads the clock, while HTTP and its timers stay real.
let endpoint: TokenEndpoint;
beforeEach(async () => {
  endpoint = await startTokenEndpoint(issueTokens(300));
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
});
afterEach(async () => {
  vi.useRealTimers();
  await endpoint.close();
});

function client(extra: Parameters<typeof createTokenClient>[0] = {}) {
  return createTokenClient({
    tokenUrl: endpoint.url,
    clientId: 'ms_admin',
    clientSecret: 'admin-secret',
    env: {},
    ...extra,
  });
}

/** Lets a background request complete (real I/O) without moving the fake clock. */
describe('getToken cache', () => {
  it('returns the cached token until the refresh skew window opens, without another request', async () => {
    const auth = client({ refreshSkewSec: 60 });
    expect(await auth.getToken()).toBe('token-1');
    vi.advanceTimersByTime(239_999); // 300 s lifetime - 60 s skew - 1 ms
    expect(await auth.getToken()).toBe('token-1');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('serves the current token inside the skew window while one background request replaces it', async () => {
    const auth = client({ refreshSkewSec: 60 });
    await auth.getToken();
    vi.advanceTimersByTime(240_000);
    const during = await Promise.all([auth.getToken(), auth.getToken(), auth.getToken()]);
    expect(during).toEqual(['token-1', 'token-1', 'token-1']);
    // Once the background answer is in, callers get the new token; no caller waited for it.
    await until(
      'the refreshed token is served',
      async () => (await auth.getToken()) === 'token-2',
      {
        intervalMs: 0,
      },
    );
    expect(endpoint.requests).toHaveLength(2);
  });

  it('does not serve an expired token: the caller waits for a new one', async () => {
    const auth = client({ refreshSkewSec: 60 });
    await auth.getToken();
    vi.advanceTimersByTime(300_000);
    expect(await auth.getToken()).toBe('token-2');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('caps the skew at half the lifetime so short-lived tokens are still reused', async () => {
    endpoint.reply(issueTokens(3));
    const auth = client({ refreshSkewSec: 60 });
    await auth.getToken();
    vi.advanceTimersByTime(1_499);
    await auth.getToken();
    expect(endpoint.requests).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(await auth.getToken()).toBe('token-1');
    await until(
      'the refreshed token is served',
      async () => (await auth.getToken()) === 'token-2',
      {
        intervalMs: 0,
      },
    );
  });

  it('counts the lifetime from when the request was sent, not from when the answer came', async () => {
    endpoint.reply((request, index) => {
      vi.advanceTimersByTime(5_000); // the answer takes 5 s on the fake clock
      return issueTokens(60)(request, index);
    });
    const auth = client({ refreshSkewSec: 0 });
    await auth.getToken(); // sent at 0 s, answered at 5 s
    vi.advanceTimersByTime(54_999); // 59.999 s after sending
    expect(await auth.getToken()).toBe('token-1');
    vi.advanceTimersByTime(1);
    expect(await auth.getToken()).toBe('token-2');
  });

  it('shares one request among 1,000 concurrent callers', async () => {
    const auth = client();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => auth.getToken()));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(endpoint.requests).toHaveLength(1);
  });

  it('keeps one token per audience and scope, sharing it across scope order and duplicates', async () => {
    const auth = client({ audience: 'ms_doctor', scope: 'doctors:read' });
    const a = await auth.getToken();
    const b = await auth.getToken({ audience: 'ms_doctor', scope: ['doctors:read'] });
    const c = await auth.getToken({ audience: 'ms_nurse' });
    const d = await auth.getToken({ scope: 'b a a' });
    const e = await auth.getToken({ scope: ['a', 'b'] });
    const f = await auth.getToken({ scope: 'a  b' });
    expect([a, b, c, d, e, f]).toEqual([
      'token-1',
      'token-1',
      'token-2',
      'token-3',
      'token-3',
      'token-3',
    ]);
    expect(endpoint.requests.map((r) => [r.form.get('audience'), r.form.get('scope')])).toEqual([
      ['ms_doctor', 'doctors:read'],
      ['ms_nurse', 'doctors:read'],
      ['ms_doctor', 'a b'],
    ]);
  });

  it('does not cache a failure: the next call sends a new request', async () => {
    endpoint.reply(() => ({ status: 400, body: { error: 'invalid_scope' } }));
    const auth = client();
    await expect(auth.getToken()).rejects.toMatchObject({ code: 'ERR_INVALID_SCOPE' });
    endpoint.reply(issueTokens());
    expect(await auth.getToken()).toBe('token-2');
  });

  it('keeps serving the current token when a background refresh fails, and reports it once per pause', async () => {
    const errors: TokenClientError[] = [];
    const auth = client({
      refreshSkewSec: 60,
      retryMaxDelayMs: 5_000,
      onBackgroundRefreshError: (err) => errors.push(err),
    });
    await auth.getToken();
    endpoint.reply(() => ({ status: 400, body: { error: 'invalid_client' } }));
    vi.advanceTimersByTime(240_000);
    expect(await auth.getToken()).toBe('token-1');
    await until('the background refresh failed', () => errors.length === 1, { intervalMs: 0 });
    expect(errors[0]).toBeInstanceOf(TokenClientError);
    expect(errors[0]?.code).toBe('ERR_INVALID_CLIENT');
    // No new attempt during the pause, however many calls come in.
    vi.advanceTimersByTime(4_999);
    for (let i = 0; i < 10; i++) expect(await auth.getToken()).toBe('token-1');
    expect(endpoint.requests).toHaveLength(2);
    vi.advanceTimersByTime(1);
    endpoint.reply(issueTokens());
    expect(await auth.getToken()).toBe('token-1');
    await until('the next token is served', async () => (await auth.getToken()) === 'token-3', {
      intervalMs: 0,
    });
  });

  it('lets an aborted caller stop waiting while the shared request completes for the others', async () => {
    const auth = client();
    const controller = new AbortController();
    const aborted = auth.getToken({ signal: controller.signal });
    const other = auth.getToken();
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    expect(await other).toBe('token-1');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('returns the same resolved promise on every cache hit', async () => {
    const auth = client();
    await auth.getToken();
    expect(auth.getToken()).toBe(auth.getToken());
  });

  it('rejects an invalid per-call scope with a TypeError and no request', async () => {
    const auth = client();
    await expect(auth.getToken({ scope: 'bad"scope' })).rejects.toThrow(TypeError);
    await expect(auth.getToken({ audience: '' })).rejects.toThrow(/audience/);
    expect(endpoint.requests).toHaveLength(0);
  });
});
