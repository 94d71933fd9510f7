/**
 * `onEvent`: a receiving service counts accepted and refused tokens (by error code) and key-source
 * loads in a registry of its own, without the verifier depending on a metrics library.
 */
import { createVerifier, type VerifierEvent } from '@m2m-auth/verifier';
import { afterEach, describe, expect, it } from 'vitest';
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, createTestKey, ISSUER, mintToken } from './helpers/tokens.js';

let jwks: JwksServer | undefined;
afterEach(async () => {
  await jwks?.close();
  jwks = undefined;
});

/** Counts events as a metrics registry would: one series per type and bounded label. */
function counter(): { events: VerifierEvent[]; counts(): Record<string, number> } {
  const events: VerifierEvent[] = [];
  return {
    events,
    counts() {
      const counts: Record<string, number> = {};
      for (const event of events) {
        const label =
          event.type === 'token_refused'
            ? `${event.type}:${event.code}`
            : event.type === 'token_accepted'
              ? `${event.type}:${event.cached ? 'cached' : 'verified'}`
              : `${event.type}:${event.source}:${event.outcome}`;
        counts[label] = (counts[label] ?? 0) + 1;
      }
      return counts;
    },
  };
}

describe('verifier onEvent', () => {
  it('reports accepted tokens, refusals by code and cache hits', async () => {
    const key = await createTestKey('ES256');
    const seen = counter();
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      logger: false,
      onEvent: (event) => seen.events.push(event),
    });
    const good = await mintToken(key);
    await verifier.authenticate(`Bearer ${good}`);
    expect(verifier.authenticateCached(`Bearer ${good}`)).toBeDefined();
    await verifier.verify(good);
    await expect(verifier.authenticate(undefined)).rejects.toThrow();
    await expect(verifier.verify(await mintToken(key, { aud: 'ms_other' }))).rejects.toThrow();
    await expect(verifier.verify(good, { scopes: ['admin'] })).rejects.toThrow();
    await expect(verifier.verify(await mintToken(key, { exp: 1 }))).rejects.toThrow();
    expect(seen.counts()).toEqual({
      'keys_refreshed:public_key:updated': 1,
      'token_accepted:verified': 2,
      'token_accepted:cached': 1,
      'token_refused:ERR_TOKEN_MISSING': 1,
      'token_refused:ERR_AUDIENCE_INVALID': 1,
      'token_refused:ERR_INSUFFICIENT_SCOPE': 1,
      'token_refused:ERR_TOKEN_EXPIRED': 1,
    });
    // Events carry no token or claim.
    expect(JSON.stringify(seen.events)).not.toContain(good.slice(0, 20));
  });

  it('reports every JWKS load, failures included, and ignores a throwing hook', async () => {
    const key = await createTestKey('RS256');
    jwks = await startJwksServer([key.publicJwk]);
    const seen = counter();
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.url,
      logger: false,
      onEvent: (event) => {
        seen.events.push(event);
        throw new Error('a broken metrics callback');
      },
    });
    await verifier.refreshKeys();
    const info = await verifier.authenticate(`Bearer ${await mintToken(key)}`);
    expect(info.clientId).toBeDefined();
    jwks.mode = 'error';
    await expect(verifier.refreshKeys()).rejects.toThrow();
    expect(seen.counts()).toMatchObject({
      'keys_refreshed:jwks:updated': 1,
      'keys_refreshed:jwks:failed': 1,
      'token_accepted:verified': 1,
    });
  });

  it('reports the synchronous path, and every source of a multi-source verifier', async () => {
    const key = await createTestKey('ES256');
    const other = await createTestKey('ES256');
    const seen = counter();
    const verifier = createVerifier({
      sources: [
        { name: 'm2m-auth', issuer: ISSUER, audience: AUDIENCE, publicKey: key.publicPem },
        {
          name: 'other',
          issuer: 'https://other.example',
          audience: AUDIENCE,
          publicKey: other.publicPem,
        },
      ],
      logger: false,
      onEvent: (event) => seen.events.push(event),
    });
    const good = await mintToken(key);
    // Keys not loaded yet: the synchronous path declines and reports nothing.
    expect(verifier.authenticateSync(`Bearer ${good}`)).toBeUndefined();
    await verifier.refreshKeys();
    expect(verifier.authenticateSync(`Bearer ${good}`)?.clientId).toBeDefined();
    expect(() => verifier.authenticateSync(`Bearer ${good}`, { scopes: ['admin'] })).toThrow();
    await verifier.authenticate(
      `Bearer ${await mintToken(other, { iss: 'https://other.example' })}`,
    );
    expect(seen.counts()).toEqual({
      'keys_refreshed:public_key:updated': 2,
      'token_accepted:verified': 2,
      'token_refused:ERR_INSUFFICIENT_SCOPE': 1,
    });
  });

  it('refuses an onEvent that is not a function', () => {
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKey: '-----BEGIN PUBLIC KEY-----',
        onEvent: 'count' as never,
      }),
    ).toThrow(TypeError);
  });
});
