/**
 * One table of caller behaviours run against every outgoing integration — undici's `request` and
 * `fetch` through `createTokenInterceptor`, and axios through `attachTokenInterceptors` — over real
 * HTTP on 127.0.0.1: tokens for the configured origins only (never to another origin, not even
 * after a redirect to a second loopback server), one token request for concurrent calls, and the
 * retry-once rule of RFC 6750 §3.1 shared with `client.fetch`.
 */
import { createTokenClient, type TokenClient, type TokenTargetOptions } from '@m2m-auth/client';
import { attachTokenInterceptors } from '@m2m-auth/client/axios';
import { createTokenInterceptor } from '@m2m-auth/client/undici';
import axios from 'axios';
import { Agent, interceptors, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ResourceServer, startResourceServer } from './helpers/resource-server.js';
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

const INVALID_TOKEN = {
  'www-authenticate':
    'Bearer realm="ms_doctor", error="invalid_token", error_description="expired"',
};

interface Answer {
  status: number;
  body: unknown;
}

/** One way of calling out, set up with a token client and its origins. */
interface Caller {
  get(url: string): Promise<Answer>;
  post(url: string, body: string): Promise<Answer>;
  close(): Promise<void>;
}

type MakeCaller = (client: TokenClient, origins: Record<string, TokenTargetOptions>) => Caller;

async function undiciAnswer(promise: ReturnType<typeof undiciRequest>): Promise<Answer> {
  const { statusCode, body } = await promise;
  const text = await body.text();
  return { status: statusCode, body: text === '' ? undefined : JSON.parse(text) };
}

const CALLERS: ReadonlyArray<readonly [string, MakeCaller]> = [
  [
    'undici request (interceptors.redirect after the token interceptor)',
    (client, origins) => {
      const dispatcher = new Agent().compose(
        createTokenInterceptor({ client, origins }),
        interceptors.redirect({ maxRedirections: 3 }),
      );
      return {
        get: (url) => undiciAnswer(undiciRequest(url, { dispatcher })),
        post: (url, body) =>
          undiciAnswer(
            undiciRequest(url, {
              dispatcher,
              method: 'POST',
              body,
              headers: { 'content-type': 'application/json' },
            }),
          ),
        close: () => dispatcher.close(),
      };
    },
  ],
  [
    'undici request (interceptors.redirect before the token interceptor)',
    (client, origins) => {
      const dispatcher = new Agent().compose(
        interceptors.redirect({ maxRedirections: 3 }),
        createTokenInterceptor({ client, origins }),
      );
      return {
        get: (url) => undiciAnswer(undiciRequest(url, { dispatcher })),
        post: (url, body) => undiciAnswer(undiciRequest(url, { dispatcher, method: 'POST', body })),
        close: () => dispatcher.close(),
      };
    },
  ],
  [
    'undici fetch',
    (client, origins) => {
      const dispatcher = new Agent().compose(createTokenInterceptor({ client, origins }));
      const answer = async (res: Awaited<ReturnType<typeof undiciFetch>>): Promise<Answer> => {
        const text = await res.text();
        return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
      };
      return {
        get: async (url) => answer(await undiciFetch(url, { dispatcher })),
        post: async (url, body) =>
          answer(await undiciFetch(url, { dispatcher, method: 'POST', body })),
        close: () => dispatcher.close(),
      };
    },
  ],
  [
    'axios',
    (client, origins) => {
      const http = axios.create({ validateStatus: () => true });
      attachTokenInterceptors(http, { client, origins });
      return {
        get: async (url) => {
          const res = await http.get(url);
          return { status: res.status, body: res.data };
        },
        post: async (url, body) => {
          const res = await http.post(url, body, {
            headers: { 'content-type': 'application/json' },
          });
          return { status: res.status, body: res.data };
        },
        close: async () => {},
      };
    },
  ],
  [
    'axios with the default validateStatus (a 401 rejects)',
    (client, origins) => {
      const http = axios.create();
      attachTokenInterceptors(http, { client, origins });
      const settle = async (call: Promise<{ status: number; data: unknown }>) => {
        try {
          const res = await call;
          return { status: res.status, body: res.data };
        } catch (err) {
          const res = (err as { response?: { status: number; data: unknown } }).response;
          if (res === undefined) throw err;
          return { status: res.status, body: res.data };
        }
      };
      return {
        get: (url) => settle(http.get(url)),
        post: (url, body) => settle(http.post(url, body)),
        close: async () => {},
      };
    },
  ],
];

let endpoint: TokenEndpoint;
/** The configured origin (ms_doctor). */
let doctors: ResourceServer;
/** A second loopback server nobody configured. */
let elsewhere: ResourceServer;
let client: TokenClient;

beforeEach(async () => {
  endpoint = await startTokenEndpoint();
  doctors = await startResourceServer();
  elsewhere = await startResourceServer();
  // Date only: a token's age decides whether a 401 discards it; HTTP and timers stay real.
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
  client = createTokenClient({
    tokenUrl: endpoint.url,
    clientId: 'ms_admin',
    clientSecret: 'admin-secret',
    env: {},
  });
});

afterEach(async () => {
  vi.useRealTimers();
  await doctors.close();
  await elsewhere.close();
  await endpoint.close();
});

describe.each(CALLERS)('%s', (name, makeCaller) => {
  let caller: Caller;
  beforeEach(() => {
    caller = makeCaller(client, {
      [doctors.origin]: { audience: 'ms_doctor', scope: 'doctors:read' },
    });
  });
  afterEach(() => caller.close());

  it('attaches a token for the audience and scope of the configured origin', async () => {
    const answer = await caller.get(`${doctors.origin}/doctors`);
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(doctors.calls[0]?.headers['authorization']).toBe('Bearer token-1');
    expect(endpoint.requests).toHaveLength(1);
    expect(endpoint.requests[0]?.form.get('audience')).toBe('ms_doctor');
    expect(endpoint.requests[0]?.form.get('scope')).toBe('doctors:read');
  });

  it('sends no token to an origin it was not configured for', async () => {
    const answer = await caller.get(`${elsewhere.origin}/anything`);
    expect(answer.status).toBe(200);
    expect(elsewhere.calls[0]?.headers['authorization']).toBeUndefined();
    expect(endpoint.requests).toHaveLength(0);
  });

  it('sends no token to the second server a configured origin redirects to', async () => {
    doctors.answer(() => ({ status: 302, headers: { location: `${elsewhere.origin}/moved` } }));
    const answer = await caller.get(`${doctors.origin}/doctors`);
    expect(answer.status).toBe(200);
    expect(doctors.calls[0]?.headers['authorization']).toBe('Bearer token-1');
    expect(elsewhere.calls).toHaveLength(1);
    expect(elsewhere.calls[0]?.url).toBe('/moved');
    expect(elsewhere.calls[0]?.headers['authorization']).toBeUndefined();
  });

  it('makes one token request for concurrent calls', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => caller.get(`${doctors.origin}/doctors`)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(endpoint.requests).toHaveLength(1);
    expect(doctors.calls.every((c) => c.headers['authorization'] === 'Bearer token-1')).toBe(true);
  });

  it('sends the request once more with a new token after 401 invalid_token', async () => {
    await client.getToken({ audience: 'ms_doctor', scope: 'doctors:read' });
    vi.advanceTimersByTime(1_000);
    doctors.answer((call) =>
      call.headers['authorization'] === 'Bearer token-1'
        ? { status: 401, headers: INVALID_TOKEN }
        : { status: 200 },
    );
    const answer = await caller.get(`${doctors.origin}/doctors`);
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(doctors.calls.map((c) => c.headers['authorization'])).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    // The new token is the cached one for every later call.
    expect(await client.getToken({ audience: 'ms_doctor', scope: 'doctors:read' })).toBe('token-2');
  });

  it('sends a request body once more when it is held in memory', async () => {
    // undici's fetch hands the dispatcher every body as a stream, which cannot be sent twice.
    const replayable = !name.startsWith('undici fetch');
    await client.getToken({ audience: 'ms_doctor', scope: 'doctors:read' });
    vi.advanceTimersByTime(1_000);
    doctors.answer((call) =>
      call.headers['authorization'] === 'Bearer token-1'
        ? { status: 401, headers: INVALID_TOKEN }
        : { status: 200 },
    );
    const answer = await caller.post(`${doctors.origin}/doctors`, '{"name":"Dr. Mei Tanaka"}');
    if (!replayable) {
      expect(answer).toEqual({ status: 401, body: { ok: false } });
      expect(doctors.calls).toHaveLength(1);
      return;
    }
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(doctors.calls.map((c) => c.headers['authorization'])).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(doctors.calls.map((c) => c.body)).toEqual([
      '{"name":"Dr. Mei Tanaka"}',
      '{"name":"Dr. Mei Tanaka"}',
    ]);
  });

  it('sends it once more only once, and hands over the second 401', async () => {
    await client.getToken({ audience: 'ms_doctor', scope: 'doctors:read' });
    vi.advanceTimersByTime(1_000);
    doctors.answer(() => ({ status: 401, headers: INVALID_TOKEN }));
    const answer = await caller.get(`${doctors.origin}/doctors`);
    expect(answer).toEqual({ status: 401, body: { ok: false } });
    expect(doctors.calls).toHaveLength(2);
  });

  it('does not retry a 401 without invalid_token, and retries a token refused at any age', async () => {
    doctors.answer(() => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="x"' } }));
    expect((await caller.get(`${doctors.origin}/doctors`)).status).toBe(401);
    expect(doctors.calls).toHaveLength(1);
    expect(endpoint.requests).toHaveLength(1);
    doctors.answer(() => ({ status: 401, headers: INVALID_TOKEN }));
    expect((await caller.get(`${doctors.origin}/doctors`)).status).toBe(401);
    expect(doctors.calls).toHaveLength(3);
    expect(endpoint.requests).toHaveLength(2);
  });
});

describe('adapter options', () => {
  it('refuses unknown option names, a missing client and origins that are not bare origins', () => {
    const origins = { 'http://127.0.0.1:3001': { audience: 'ms_doctor' } };
    const http = axios.create();
    for (const attach of [
      (options: unknown) => createTokenInterceptor(options as never),
      (options: unknown) => attachTokenInterceptors(http, options as never),
    ]) {
      expect(() => attach({ client, origins, origin: 'x' })).toThrow(/Unknown option "origin"/);
      expect(() => attach({ origins })).toThrow(/client/);
      expect(() => attach({ client, origins: {} })).toThrow(/origins/);
      expect(() => attach({ client, origins: { 'http://127.0.0.1:3001/path': {} } })).toThrow(
        /origin only/,
      );
      expect(() => attach({ client, origins: { 'http://doctors.internal': {} } })).toThrow(
        /plain http/,
      );
      expect(() =>
        attach({ client, origins: { 'http://doctors.internal': {} }, allowInsecureHttp: true }),
      ).not.toThrow();
      expect(() =>
        attach({ client, origins: { 'https://doctors.internal': { audiences: 'x' } } }),
      ).toThrow(/Unknown option "audiences"/);
      expect(() =>
        attach({ client, origins: { 'https://doctors.internal': { scope: 'a"b' } } }),
      ).toThrow(TypeError);
    }
  });

  it('passes a token request failure to the caller as the TokenClientError', async () => {
    endpoint.reply(() => ({ status: 401, body: { error: 'invalid_client' } }));
    const origins = { [doctors.origin]: { audience: 'ms_doctor' } };
    const dispatcher = new Agent().compose(createTokenInterceptor({ client, origins }));
    await expect(undiciRequest(`${doctors.origin}/x`, { dispatcher })).rejects.toMatchObject({
      code: 'ERR_INVALID_CLIENT',
    });
    await dispatcher.close();
    const http = axios.create();
    attachTokenInterceptors(http, { client, origins });
    await expect(http.get(`${doctors.origin}/x`)).rejects.toMatchObject({
      code: 'ERR_INVALID_CLIENT',
    });
    expect(doctors.calls).toHaveLength(0);
  });
});
