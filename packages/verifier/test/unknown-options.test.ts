/**
 * A misspelt option name is an error at construction, naming the closest valid name: otherwise
 * `requiredScope` (for `requiredScopes`) or `scope` (for `scopes`) would be ignored and the route
 * would check no scope at all. Covers createVerifier, the per-call options, and every adapter
 * (Express, the Fastify onRequest hook, Fastify plugin and its `fastify.requireToken`), the last ones on a
 * real Fastify instance.
 */
import { createVerifier, type Verifier } from '@m2m-auth/verifier';
import { requireToken as expressRequireToken } from '@m2m-auth/verifier/express';
import { requireToken as fastifyRequireToken, fastifyVerifier } from '@m2m-auth/verifier/fastify';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, createTestKey, ISSUER, mintToken, type TestKey } from './helpers/tokens.js';

let key: TestKey;
let verifier: Verifier;

beforeAll(async () => {
  key = await createTestKey('ES256');
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, publicKey: key.publicPem });
});

describe('createVerifier', () => {
  it('refuses requiredScope and names requiredScopes', () => {
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKey: key.publicPem,
        requiredScope: ['admin'],
      } as never),
    ).toThrow(
      new TypeError(
        'Unknown option "requiredScope" of createVerifier; did you mean "requiredScopes"?',
      ),
    );
  });

  it('suggests across case and a swapped pair of letters', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, publicKey: key.publicPem };
    expect(() => createVerifier({ ...base, JwksUri: 'x' } as never)).toThrow(
      'did you mean "jwksUri"?',
    );
    expect(() => createVerifier({ ...base, audeince: 'x' } as never)).toThrow(
      'did you mean "audience"?',
    );
  });

  it('lists the valid names when none is close', () => {
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKey: key.publicPem,
        somethingElse: 1,
      } as never),
    ).toThrow(
      /^Unknown option "somethingElse" of createVerifier; valid options are issuer, audience,/,
    );
  });

  it('refuses an unknown name inside tokenCache', () => {
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKey: key.publicPem,
        tokenCache: { maxentries: 10 },
      } as never),
    ).toThrow(
      'Unknown option "maxentries" of createVerifier tokenCache; did you mean "maxEntries"?',
    );
  });

  it('refuses an unknown per-call option of verify and authenticate', async () => {
    const token = await mintToken(key, { scope: 'doctors:read' });
    await expect(verifier.verify(token, { scope: ['admin'] } as never)).rejects.toThrow(
      'Unknown option "scope" of verify/authenticate; did you mean "scopes"?',
    );
    await expect(
      verifier.authenticate(`Bearer ${token}`, { scope: ['admin'] } as never),
    ).rejects.toThrow(TypeError);
    // The cached path never throws: it declines, and the full path above throws.
    expect(verifier.authenticateCached(`Bearer ${token}`, { scope: ['admin'] } as never)).toBe(
      undefined,
    );
    await expect(verifier.verify(token, { scopes: ['doctors:read'] })).resolves.toBeDefined();
  });
});

describe('Express requireToken', () => {
  it('refuses scope and names scopes', () => {
    expect(() => expressRequireToken({ verifier, scope: ['doctors:write'] } as never)).toThrow(
      new TypeError('Unknown option "scope" of requireToken; did you mean "scopes"?'),
    );
  });
});

describe('Fastify', () => {
  it('requireToken refuses scope and names scopes', () => {
    expect(() => fastifyRequireToken({ verifier, scope: ['doctors:write'] } as never)).toThrow(
      new TypeError('Unknown option "scope" of requireToken; did you mean "scopes"?'),
    );
  });

  it('the plugin refuses an unknown option at register, and accepts Fastify register options', async () => {
    const bad = Fastify();
    await expect(bad.register(fastifyVerifier, { verifier, relam: 'x' } as never)).rejects.toThrow(
      'Unknown option "relam" of fastifyVerifier; did you mean "realm"?',
    );
    await bad.close();
    const good = Fastify();
    await good.register(fastifyVerifier, { verifier, prefix: '/api' } as never);
    await good.close();
  });

  it('fastify.requireToken refuses scope and names scopes', async () => {
    const app = Fastify();
    await app.register(fastifyVerifier, { verifier });
    expect(() => app.requireToken({ scope: ['doctors:write'] } as never)).toThrow(
      new TypeError('Unknown option "scope" of fastify.requireToken; did you mean "scopes"?'),
    );
    expect(typeof app.requireToken({ scopes: ['doctors:write'] })).toBe('function');
    await app.close();
  });
});
