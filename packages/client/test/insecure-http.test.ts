/**
 * The client sends its secret in every token request. To an `http://` URL on another host, anyone
 * on the path reads it: creation refuses such a URL unless the caller opts in explicitly (option
 * `allowInsecureHttp`, env `OAUTH_ALLOW_INSECURE_HTTP`). Loopback hosts stay allowed.
 */
import { createTokenClient, type TokenClientOptions } from '@m2m-auth/client';
import { describe, expect, it } from 'vitest';

const CREDENTIALS = { OAUTH_CLIENT_ID: 'ms_admin', OAUTH_CLIENT_SECRET: 'do-not-print-me' };

/** A fetch that records calls: creation must refuse before any request carries the secret. */
function recordingFetch(): { fetch: typeof globalThis.fetch; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (input) => {
      calls.push(String(input));
      return new Response('{}', { status: 500 });
    },
  };
}

function creation(options: TokenClientOptions): string | undefined {
  try {
    createTokenClient(options);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
    return (err as Error).message;
  }
}

describe('plain http token URLs', () => {
  it.each([
    'http://auth:8080/oauth/token',
    'http://10.0.0.5/oauth/token',
    'http://auth.internal.example',
    'http://localhost.evil.example/oauth/token',
  ])('refuses %s at creation, saying why, before anything is sent', (url) => {
    const recorder = recordingFetch();
    const message = creation({ env: { ...CREDENTIALS, AUTH_URL: url }, fetch: recorder.fetch });
    const host = new URL(url).host;
    expect(message).toBe(
      `options.tokenUrl (AUTH_URL) is plain http to ${host}, which is not a loopback host: the client secret would cross the network unencrypted (RFC 6749 §2.3.1 requires TLS). Use https://, or, on a network you trust end to end, opt in with allowInsecureHttp: true or OAUTH_ALLOW_INSECURE_HTTP=true`,
    );
    expect(message).not.toContain('do-not-print-me');
    expect(recorder.calls).toEqual([]);
  });

  it.each([
    'http://127.0.0.1:8080/oauth/token',
    'http://127.1.2.3/oauth/token',
    'http://localhost:8080',
    'http://[::1]:8080/oauth/token',
    'https://auth.internal.example/oauth/token',
  ])('accepts %s', (url) => {
    expect(creation({ env: { ...CREDENTIALS, AUTH_URL: url } })).toBeUndefined();
  });

  it('accepts http to another host when the caller opts in by option or environment', () => {
    const env = { ...CREDENTIALS, AUTH_URL: 'http://auth:8080/oauth/token' };
    expect(creation({ env, allowInsecureHttp: true })).toBeUndefined();
    expect(creation({ env: { ...env, OAUTH_ALLOW_INSECURE_HTTP: 'true' } })).toBeUndefined();
    expect(creation({ env: { ...env, OAUTH_ALLOW_INSECURE_HTTP: '1' } })).toBeUndefined();
    // The option wins over the environment.
    expect(
      creation({ env: { ...env, OAUTH_ALLOW_INSECURE_HTTP: 'true' }, allowInsecureHttp: false }),
    ).toContain('not a loopback host');
    expect(creation({ env: { ...env, OAUTH_ALLOW_INSECURE_HTTP: '0' } })).toContain(
      'not a loopback host',
    );
  });

  it('rejects an opt-in value it does not understand', () => {
    const env = { ...CREDENTIALS, AUTH_URL: 'http://auth:8080/oauth/token' };
    expect(creation({ env: { ...env, OAUTH_ALLOW_INSECURE_HTTP: 'yes' } })).toBe(
      'OAUTH_ALLOW_INSECURE_HTTP must be "true", "1", "false" or "0"',
    );
    expect(creation({ env, allowInsecureHttp: 'yes' as unknown as boolean })).toBe(
      'options.allowInsecureHttp must be a boolean',
    );
  });
});
