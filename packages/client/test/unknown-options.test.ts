/**
 * Unknown option names are errors everywhere: at creation (naming the closest valid name) and in
 * the per-call options of getToken and fetch, where a misspelt `audiance` would otherwise fetch a
 * token for the default audience. The calls go to a real token endpoint on 127.0.0.1, which must
 * see no request for a refused call.
 */
import { createTokenClient, type TokenClientOptions } from '@m2m-auth/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

let endpoint: TokenEndpoint;

beforeAll(async () => {
  endpoint = await startTokenEndpoint();
});

afterAll(async () => {
  await endpoint.close();
});

function client() {
  return createTokenClient({ tokenUrl: endpoint.url, clientId: 'c', clientSecret: 's' });
}

describe('unknown option names', () => {
  it('createTokenClient names the closest valid option', () => {
    expect(() =>
      createTokenClient({
        tokenUrl: endpoint.url,
        clientId: 'c',
        clientSecret: 's',
        audiance: 'x',
      } as TokenClientOptions),
    ).toThrow(
      new TypeError('Unknown option "audiance" of createTokenClient; did you mean "audience"?'),
    );
    expect(() =>
      createTokenClient({
        tokenUrl: endpoint.url,
        clientId: 'c',
        clientSecret: 's',
        proxy: 5,
      } as TokenClientOptions),
    ).toThrow(/^Unknown option "proxy" of createTokenClient; valid options are tokenUrl, /);
  });

  it('getToken refuses a misspelt option before any token request', async () => {
    const before = endpoint.requests.length;
    await expect(client().getToken({ audiance: 'ms_doctor' } as never)).rejects.toThrow(
      new TypeError('Unknown option "audiance" of getToken; did you mean "audience"?'),
    );
    expect(endpoint.requests.length).toBe(before);
    await expect(client().getToken({ audience: 'ms_doctor' })).resolves.toMatch(/^token-/);
  });

  it('fetch refuses a misspelt target option before any token request', async () => {
    const before = endpoint.requests.length;
    await expect(
      client().fetch(`${endpoint.url}/x`, {}, { scopes: ['a'] } as never),
    ).rejects.toThrow(
      new TypeError('Unknown option "scopes" of fetch (third argument); did you mean "scope"?'),
    );
    expect(endpoint.requests.length).toBe(before);
  });
});
