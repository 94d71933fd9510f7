/**
 * The Fastify adapter authenticates in `onRequest`, before Fastify reads and parses the body (as
 * fastify-bearer-auth does): an unauthenticated caller cannot make the service parse its payload.
 * In process with `app.inject` (the point is the handler), with a counting JSON parser.
 */
import { createVerifier } from '@m2m-auth/verifier';
import { requireToken as fastifyRequireToken, fastifyVerifier } from '@m2m-auth/verifier/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, createTestKey, ISSUER, mintToken, type TestKey } from './helpers/tokens.js';

const BODY = JSON.stringify({ name: 'Dr. Amara Okafor' });

describe('Fastify adapter in onRequest', () => {
  let key: TestKey;
  let app: FastifyInstance;
  let parsed = 0;

  beforeAll(async () => {
    key = await createTestKey('ES256');
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
    });
    app = Fastify();
    // Counts every body Fastify parses; the default JSON parser is replaced by this one.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      parsed++;
      done(null, JSON.parse(String(body)));
    });
    await app.register(fastifyVerifier, { verifier });
    app.post(
      '/doctors',
      { onRequest: app.requireToken({ scopes: ['doctors:write'] }) },
      async (request) => ({ clientId: request.auth?.clientId, received: request.body }),
    );
    app.post('/any', { onRequest: fastifyRequireToken({ verifier }) }, async (request) => ({
      received: request.body,
    }));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  function post(url: string, authorization?: string) {
    return app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      payload: BODY,
    });
  }

  it('never parses the body of a request without a token, with a bad token or without the scope', async () => {
    const readOnly = await mintToken(key, { scope: 'doctors:read' });
    const expired = await mintToken(key, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const before = parsed;
    expect((await post('/doctors')).statusCode).toBe(401);
    expect((await post('/doctors', 'Bearer not.a.token')).statusCode).toBe(401);
    expect((await post('/doctors', `Bearer ${expired}`)).statusCode).toBe(401);
    expect((await post('/doctors', `Bearer ${readOnly}`)).statusCode).toBe(403);
    expect((await post('/any', 'Basic dXNlcjpwYXNz')).statusCode).toBe(401);
    expect(parsed).toBe(before);
  });

  it('parses the body once the token verified', async () => {
    const writer = await mintToken(key, { scope: 'doctors:write' });
    const before = parsed;
    const response = await post('/doctors', `Bearer ${writer}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ received: { name: 'Dr. Amara Okafor' } });
    expect(parsed).toBe(before + 1);
  });
});
