// Servers for an end-to-end breakdown of the token endpoint (bench/micro/token-http.js): the same
// POST, from the bare Fastify route up to our whole server, one layer added per variant.
//   bare       the bench's bare Fastify POST route (no authentication, no signature)
//   bare-sign  the same route signing one token-shaped JWS per request with node:crypto (the
//              issue's "bare route + one signature", measured inside an HTTP server; also a row
//              of `npm run bench`)
//   ours-nolog buildServer without a logger (no audit line)
//   ours       buildServer with pino writing asynchronously to a file, as `m2m-auth serve` does
//   ours-batched  the same, the log destination writing once 4 KB have gathered (or every 200 ms)
//
//   node bench/servers/token-ladder.js --variant <v> --database <url> --alg <alg> [--log <file>]
//   env M2M_AUTH_KEK: the key-encryption key of the database.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { openSync } from 'node:fs';
import { buildServer, openStore } from '@m2m-auth/server';
import Fastify from 'fastify';
import { pino } from 'pino';
import { parseArgs, reportReady } from '../lib/child.js';

const { variant, database, alg, log } = parseArgs();
let app;
let store;
if (variant === 'bare' || variant === 'bare-sign') {
  app = Fastify({ logger: false });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body))),
  );
  const fixed = {
    access_token: 'x'.repeat(600),
    token_type: 'Bearer',
    expires_in: 900,
    scope: 'bench:read',
  };
  // bare-sign with --alg both (the row of `npm run bench`): one process, a route per algorithm,
  // /RS256/oauth/token and /EdDSA/oauth/token, loaded one at a time.
  const algs = variant === 'bare' ? [undefined] : alg === 'both' ? ['RS256', 'EdDSA'] : [alg];
  for (const signAlg of algs) {
    const signToken = signAlg === undefined ? undefined : tokenSigner(signAlg);
    const prefix = alg === 'both' ? `/${signAlg}` : '';
    app.post(`${prefix}/oauth/token`, async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      if (request.body?.grant_type !== 'client_credentials') reply.code(400);
      if (signToken === undefined) return fixed;
      return { ...fixed, access_token: signToken() };
    });
  }
} else if (variant === 'ours' || variant === 'ours-nolog' || variant === 'ours-batched') {
  store = await openStore({ databaseUrl: database, kek: process.env.M2M_AUTH_KEK });
  // ours-batched: the log destination writes once 4 KB have gathered (or every 200 ms).
  const batching = variant === 'ours-batched' ? { minLength: 4096, periodicFlush: 200 } : {};
  const logger =
    variant === 'ours-nolog'
      ? false
      : pino(
          { level: 'info' },
          pino.destination({ dest: openSync(log, 'w'), sync: false, ...batching }),
        );
  app = buildServer({ store, issuer: 'http://127.0.0.1:8080', logger });
} else {
  throw new Error(`unknown variant ${variant}`);
}
const url = await app.listen({ port: 0, host: '127.0.0.1' });
reportReady(
  { url },
  {
    close: async () => {
      await app.close();
      await store?.close();
    },
  },
);

/** A token-shaped JWS per call, signed with a fresh key of `signAlg` by node:crypto's `sign`. */
function tokenSigner(signAlg) {
  const { privateKey } =
    signAlg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ed25519');
  const digest = signAlg === 'RS256' ? 'sha256' : null;
  const header = `${Buffer.from(JSON.stringify({ alg: signAlg, typ: 'at+jwt', kid: 'k' })).toString('base64url')}.`;
  return () => {
    const claims = Buffer.from(
      JSON.stringify({ iss: 'http://127.0.0.1', sub: 'c', jti: randomUUID() }),
    ).toString('base64url');
    const input = header + claims;
    return `${input}.${sign(digest, Buffer.from(input, 'latin1'), privateKey).toString('base64url')}`;
  };
}
