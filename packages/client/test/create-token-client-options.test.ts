import { inspect } from 'node:util';
import { createTokenClient, type TokenClientOptions } from '@m2m-auth/client';
import { describe, expect, it } from 'vitest';

const ENV = {
  AUTH_URL: 'http://127.0.0.1:8080/oauth/token',
  OAUTH_CLIENT_ID: 'ms_admin',
  OAUTH_CLIENT_SECRET: 'do-not-print-me',
};

function creationError(options: TokenClientOptions): TypeError {
  try {
    createTokenClient(options);
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
    return err as TypeError;
  }
  throw new Error('expected createTokenClient to throw');
}

describe('createTokenClient options', () => {
  it('needs nothing but the three environment variables', () => {
    expect(() => createTokenClient({ env: ENV })).not.toThrow();
  });

  it('reads process.env when no env is given', () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    try {
      expect(() => createTokenClient()).not.toThrow();
    } finally {
      for (const key of Object.keys(ENV)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it.each([
    ['tokenUrl', 'AUTH_URL'],
    ['clientId', 'OAUTH_CLIENT_ID'],
    ['clientSecret', 'OAUTH_CLIENT_SECRET'],
  ])('fails at creation without %s, naming the option and %s', (option, variable) => {
    const env: Record<string, string> = { ...ENV };
    delete env[variable];
    const err = creationError({ env });
    expect(err.message).toContain(`options.${option}`);
    expect(err.message).toContain(variable);
  });

  it('treats an empty environment variable as missing', () => {
    expect(creationError({ env: { ...ENV, OAUTH_CLIENT_SECRET: '' } }).message).toContain(
      'OAUTH_CLIENT_SECRET',
    );
  });

  it('prefers options over environment variables', () => {
    expect(() =>
      createTokenClient({ env: { ...ENV, AUTH_URL: 'not a url' }, tokenUrl: ENV.AUTH_URL }),
    ).not.toThrow();
  });

  it.each([
    ['a relative URL', 'oauth/token', /absolute http\(s\) URL/],
    ['another scheme', 'ftp://127.0.0.1/oauth/token', /absolute http\(s\) URL/],
    ['credentials in the URL', 'http://id:pw@127.0.0.1/oauth/token', /must not carry credentials/],
    ['a fragment', 'http://127.0.0.1/oauth/token#x', /fragment/],
  ])('rejects a tokenUrl with %s, naming AUTH_URL', (_what, url, message) => {
    const err = creationError({ env: { ...ENV, AUTH_URL: url } });
    expect(err.message).toMatch(message);
    expect(err.message).toContain('AUTH_URL');
    expect(err.message).not.toContain('pw');
  });

  it.each<[string, TokenClientOptions, RegExp]>([
    ['authMethod', { authMethod: 'private_key_jwt' as never }, /options\.authMethod/],
    ['refreshSkewSec', { refreshSkewSec: -1 }, /options\.refreshSkewSec/],
    ['requestTimeoutMs', { requestTimeoutMs: 0 }, /options\.requestTimeoutMs/],
    ['totalTimeoutMs', { totalTimeoutMs: Number.NaN }, /options\.totalTimeoutMs/],
    [
      'retryMaxDelayMs',
      { retryBaseDelayMs: 500, retryMaxDelayMs: 100 },
      /options\.retryMaxDelayMs/,
    ],
    ['scope', { scope: 'a "quoted" scope' }, /options\.scope.*RFC 6749 §3\.3/],
    ['audience', { audience: '' }, /options\.audience/],
    ['fetch', { fetch: 'nope' as never }, /options\.fetch/],
    [
      'onBackgroundRefreshError',
      { onBackgroundRefreshError: 1 as never },
      /onBackgroundRefreshError/,
    ],
  ])('rejects an invalid %s at creation', (_name, options, message) => {
    expect(creationError({ env: ENV, ...options }).message).toMatch(message);
  });

  it('rejects an unknown option, catching typos', () => {
    expect(creationError({ env: ENV, tokenURL: 'x' } as TokenClientOptions).message).toBe(
      'Unknown option "tokenURL" of createTokenClient; did you mean "tokenUrl"?',
    );
  });

  it('never quotes the client secret, in messages or when the client is inspected', () => {
    const secret = ENV.OAUTH_CLIENT_SECRET;
    const messages = [
      creationError({ env: { ...ENV, AUTH_URL: 'bad' } }).message,
      creationError({ env: ENV, authMethod: 'bad' as never }).message,
    ];
    for (const message of messages) expect(message).not.toContain(secret);
    const auth = createTokenClient({ env: ENV });
    const shown = inspect(auth, { depth: 10, showHidden: true });
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(Buffer.from(`ms_admin:${secret}`).toString('base64'));
    expect(JSON.stringify(auth)).not.toContain(secret);
  });
});
