/**
 * A JWT access token's own `exp` bounds how long the client serves it: without `expires_in` the
 * token is cached until its `exp` (refreshed `refreshSkewSec` before, capped at half the lifetime),
 * and whatever `expires_in` says, it is never handed out at or past its `exp`. Real token endpoint
 * on 127.0.0.1; only Date is faked, so "now" is the same for the endpoint and the client.
 */
import { createTokenClient, TokenClientError } from '@m2m-auth/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ReplyFn, startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

let endpoint: TokenEndpoint;
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
  endpoint = await startTokenEndpoint();
});
afterEach(async () => {
  vi.useRealTimers();
  await endpoint.close();
});

function client() {
  return createTokenClient({
    tokenUrl: endpoint.url,
    clientId: 'ms_admin',
    clientSecret: 'admin-secret',
    refreshSkewSec: 60,
    env: {},
  });
}

/** A JWS-shaped token (the client never verifies it) with the given `exp` literal. */
function jwt(index: number, expLiteral: string): string {
  const part = (text: string) => Buffer.from(text).toString('base64url');
  return `${part('{"alg":"ES256","typ":"at+jwt"}')}.${part(`{"jti":"token-${index}","exp":${expLiteral}}`)}.c2ln`;
}

/** Issues JWTs expiring `lifetimeSec` after now, with `expires_in` when given. */
function issueJwts(lifetimeSec: number, expiresIn?: number, expLiteral?: string): ReplyFn {
  return (_request, index) => ({
    body: {
      access_token: jwt(index + 1, expLiteral ?? String(Date.now() / 1000 + lifetimeSec)),
      token_type: 'Bearer',
      ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
    },
  });
}

function jti(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti;
}

describe("a JWT's exp as its lifetime", () => {
  it('without expires_in, never hands the token out at its exp (not the 60 s default)', async () => {
    endpoint.reply(issueJwts(30));
    const auth = client();
    expect(jti(await auth.getToken())).toBe('token-1');
    vi.advanceTimersByTime(29_999);
    expect(jti(await auth.getToken())).toBe('token-1');
    vi.advanceTimersByTime(1);
    expect(jti(await auth.getToken())).not.toBe('token-1');
  });

  it('with a longer expires_in, still never past the exp the token carries', async () => {
    endpoint.reply(issueJwts(30, 300));
    const auth = client();
    expect(jti(await auth.getToken())).toBe('token-1');
    vi.advanceTimersByTime(30_000);
    expect(jti(await auth.getToken())).not.toBe('token-1');
  });

  it('without expires_in, caches until exp minus the skew rather than for 60 s', async () => {
    endpoint.reply(issueJwts(600));
    const auth = client();
    expect(jti(await auth.getToken())).toBe('token-1');
    vi.advanceTimersByTime(539_999); // 600 s - 60 s skew - 1 ms
    expect(jti(await auth.getToken())).toBe('token-1');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('refuses a token whose exp has already passed', async () => {
    endpoint.reply(issueJwts(-5));
    const error = await client()
      .getToken()
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TokenClientError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE' });
    expect((error as Error).message).toMatch(/exp has already passed/);
  });

  it('ignores an exp beyond year 9999 and falls back to the 60 s default, not "forever"', async () => {
    endpoint.reply(issueJwts(0, undefined, '1e300'));
    const auth = client();
    expect(jti(await auth.getToken())).toBe('token-1');
    vi.advanceTimersByTime(60_000);
    expect(jti(await auth.getToken())).toBe('token-2');
  });
});
