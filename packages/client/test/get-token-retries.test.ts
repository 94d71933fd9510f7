import { createTokenClient, type TokenClientOptions } from '@m2m-auth/client';
import { TokenClientError } from '@m2m-auth/client/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rejection } from '../../../test/helpers/async.js';
import { drive, driveUntil, type TrackedFetch, trackFetch } from './helpers/drive.js';
import { issueTokens, startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

const SECRET = 'top-secret-value-42';
let endpoint: TokenEndpoint;
let tracker: TrackedFetch;

beforeEach(async () => {
  endpoint = await startTokenEndpoint();
  tracker = trackFetch();
  vi.useFakeTimers({
    toFake: ['Date', 'setTimeout', 'clearTimeout'],
    now: new Date('2030-01-01T00:00:00Z'),
  });
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await endpoint.close();
});

function client(extra: TokenClientOptions = {}) {
  return createTokenClient({
    tokenUrl: endpoint.url,
    clientId: 'ms_admin',
    clientSecret: SECRET,
    env: {},
    fetch: tracker.fetch,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1_000,
    totalTimeoutMs: 10_000,
    ...extra,
  });
}

/** The TokenClientError a call rejects with, driving the fake clock meanwhile. */
/** The TokenClientError `promise` rejects with, the fake clock driven meanwhile. */
function rejectionOf(promise: Promise<unknown>): Promise<TokenClientError> {
  return rejection(drive(promise, tracker), TokenClientError);
}

/** Gaps between consecutive requests on the fake clock, ms. */
function gaps(): number[] {
  return endpoint.requests.slice(1).map((r, i) => r.at - (endpoint.requests[i]?.at ?? 0));
}

function failThen(failures: number, status: number, headers: Record<string, string> = {}) {
  return (request: Parameters<ReturnType<typeof issueTokens>>[0], index: number) =>
    index < failures
      ? { status, headers, body: { error: 'temporarily_unavailable' } }
      : issueTokens()(request, index - failures);
}

describe('getToken retries', () => {
  it('retries 5xx with full-jitter backoff growing from retryBaseDelayMs up to retryMaxDelayMs', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    endpoint.reply(failThen(6, 503));
    const token = await drive(client().getToken(), tracker);
    expect(token).toBe('token-1');
    // Half of min(1000, 100·2ⁿ⁻¹) with Math.random() = 0.5.
    expect(gaps()).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('draws each backoff between zero and its cap', async () => {
    endpoint.reply(failThen(5, 502));
    await drive(client().getToken(), tracker);
    const caps = [100, 200, 400, 800, 1_000];
    gaps().forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(gap).toBeLessThanOrEqual(caps[i] ?? 0);
    });
  });

  it('waits the Retry-After seconds of a 429 before trying again', async () => {
    endpoint.reply(failThen(1, 429, { 'retry-after': '3' }));
    expect(await drive(client().getToken(), tracker)).toBe('token-1');
    const [gap] = gaps();
    expect(gap).toBeGreaterThanOrEqual(3_000);
    expect(gap).toBeLessThanOrEqual(3_100); // plus at most retryBaseDelayMs of jitter
  });

  it('understands Retry-After as an HTTP date on a 503', async () => {
    const at = new Date(Date.now() + 2_000).toUTCString();
    endpoint.reply(failThen(1, 503, { 'retry-after': at }));
    expect(await drive(client().getToken(), tracker)).toBe('token-1');
    expect(gaps()[0]).toBeGreaterThanOrEqual(2_000);
    expect(gaps()[0]).toBeLessThanOrEqual(2_100);
  });

  it('fails at once when Retry-After asks for a wait beyond the time left', async () => {
    endpoint.reply(failThen(1, 429, { 'retry-after': '60' }));
    const err = await rejectionOf(client().getToken());
    expect(err).toMatchObject({
      code: 'ERR_AUTH_SERVER_UNAVAILABLE',
      status: 429,
      retryAfterSec: 60,
      attempts: 1,
    });
    expect(endpoint.requests).toHaveLength(1);
  });

  it('gives up with ERR_AUTH_SERVER_UNAVAILABLE once totalTimeoutMs is spent', async () => {
    endpoint.reply(() => ({ status: 500, body: 'oops' }));
    const started = Date.now();
    const err = await rejectionOf(client({ totalTimeoutMs: 5_000 }).getToken());
    expect(err).toMatchObject({ code: 'ERR_AUTH_SERVER_UNAVAILABLE', status: 500 });
    expect(err.attempts).toBe(endpoint.requests.length);
    expect(endpoint.requests.at(-1)?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(started + 5_000);
    expect(err.message).toMatch(/HTTP 500/);
    expect(err.message).not.toContain(SECRET);
  });

  it('retries while the authorization server is down and gets a token once it is up again', async () => {
    const port = Number(new URL(endpoint.url).port);
    await endpoint.close();
    const attempts: number[] = [];
    const counting: typeof fetch = (input, init) => {
      attempts.push(Date.now());
      return tracker.fetch(input, init);
    };
    const auth = client({ fetch: counting });
    const pending = auth.getToken();
    // Let it fail three times (connection refused), then bring the endpoint back on the same port.
    await driveUntil(() => attempts.length === 3, tracker);
    endpoint = await startTokenEndpoint(issueTokens(), port);
    expect(await drive(pending, tracker)).toBe('token-1');
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('abandons an attempt that gets no answer within requestTimeoutMs and tries again', async () => {
    endpoint.reply((request, index) =>
      index === 0 ? { hang: true } : issueTokens()(request, index - 1),
    );
    const auth = client({ requestTimeoutMs: 2_000 });
    const pending = auth.getToken();
    // The first attempt is in flight; the per-attempt timer is the only thing that can end it.
    while (endpoint.requests.length === 0) await new Promise((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await drive(pending, tracker)).toBe('token-1');
    expect(endpoint.requests).toHaveLength(2);
  });
});

describe('getToken errors that are not retried', () => {
  it.each([
    [401, 'invalid_client', 'ERR_INVALID_CLIENT'],
    [400, 'unauthorized_client', 'ERR_UNAUTHORIZED_CLIENT'],
    [400, 'invalid_scope', 'ERR_INVALID_SCOPE'],
    [400, 'invalid_target', 'ERR_INVALID_TARGET'],
    [400, 'invalid_request', 'ERR_TOKEN_REQUEST_REJECTED'],
    [400, 'unsupported_grant_type', 'ERR_TOKEN_REQUEST_REJECTED'],
    [400, 'some_extension_error', 'ERR_TOKEN_REQUEST_REJECTED'],
  ])('surfaces HTTP %i %s as %s after exactly one request', async (status, error, code) => {
    endpoint.reply(() => ({
      status,
      headers: status === 401 ? { 'www-authenticate': 'Basic realm="m2m-auth"' } : undefined,
      body: { error, error_description: 'Described by the server' },
    }));
    const err = await rejectionOf(
      client({ audience: 'ms_doctor', scope: 'doctors:read' }).getToken(),
    );
    expect(err).toMatchObject({
      code,
      oauthError: error,
      oauthErrorDescription: 'Described by the server',
      status,
      attempts: 1,
    });
    expect(err.message).toContain(error);
    expect(err.message).not.toContain(SECRET);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('names the check to make when the client is not authenticated', async () => {
    endpoint.reply(() => ({ status: 401, body: { error: 'invalid_client' } }));
    await expect(drive(client().getToken(), tracker)).rejects.toThrow(
      /OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET/,
    );
  });

  it('rejects a 4xx without an RFC 6749 error body as ERR_TOKEN_REQUEST_REJECTED', async () => {
    endpoint.reply(() => ({ status: 404, body: '<html>Not Found</html>' }));
    await expect(drive(client().getToken(), tracker)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REQUEST_REJECTED',
      status: 404,
      oauthError: undefined,
    });
  });

  it('does not follow a redirect, which would send the credentials elsewhere', async () => {
    endpoint.reply(() => ({ status: 307, headers: { location: 'http://127.0.0.1:9/elsewhere' } }));
    await expect(drive(client().getToken(), tracker)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REQUEST_REJECTED',
      status: 307,
    });
    expect(endpoint.requests).toHaveLength(1);
  });

  it('keeps control characters and long text of a server description out of the message', async () => {
    endpoint.reply(() => ({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: `bad\r\nInjected: yes ${'x'.repeat(500)}`,
      },
    }));
    const err = await rejectionOf(client().getToken());
    expect(err.message).not.toMatch(/[\r\n]/);
    expect(err.message.length).toBeLessThan(500);
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    ['no access_token', { token_type: 'Bearer', expires_in: 60 }],
    [
      'an access_token that cannot go in a header',
      { access_token: 'a b\r\n', token_type: 'Bearer' },
    ],
    ['a token_type other than Bearer', { access_token: 'abc', token_type: 'mac', expires_in: 60 }],
    ['a negative expires_in', { access_token: 'abc', token_type: 'Bearer', expires_in: -5 }],
    ['a non-numeric expires_in', { access_token: 'abc', token_type: 'Bearer', expires_in: 'soon' }],
  ])('rejects a 200 answer with %s as ERR_INVALID_TOKEN_RESPONSE', async (_what, body) => {
    endpoint.reply(() => ({ status: 200, body }));
    const err = await rejectionOf(client().getToken());
    expect(err).toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE', attempts: 1 });
    expect(err.message).not.toContain('abc');
  });

  it('accepts a lower-case token_type and an expires_in sent as a string', async () => {
    endpoint.reply(() => ({
      body: { access_token: 'abc', token_type: 'bearer', expires_in: '60' },
    }));
    expect(await drive(client().getToken(), tracker)).toBe('abc');
  });
});
