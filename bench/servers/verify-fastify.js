// A Fastify resource server with one GET route, protected (or not) by the variant under test:
//   none          unprotected: the ceiling
//   ours          @m2m-auth/verifier/fastify, default options (verified-token cache on)
//   ours-nocache  the same with tokenCache: false (every request is a full verification)
//   noop          a middleware that does nothing: what the framework's extra layer costs
//   ours-feed     `ours` with the revocation feed on: `revocationsUri` (config) polled at the
//                 default interval
//   peer          @fastify/jwt (fast-jwt) with the same public key, iss, aud, and the scope check
//
//   node bench/servers/verify-fastify.js --variant ours --config <file.json>
//   config: { publicKeyPem, issuer, audience, scope, revocationsUri? }
import { readFileSync } from 'node:fs';
import fastifyJwt from '@fastify/jwt';
import { createVerifier } from '@m2m-auth/verifier';
import { fastifyVerifier } from '@m2m-auth/verifier/fastify';
import Fastify from 'fastify';
import { feedLoaded, parseArgs, reportReady } from '../lib/child.js';

const { variant, config: configPath } = parseArgs();
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const app = Fastify({ logger: false });
const body = { ok: true };
let preHandler;

if (variant === 'ours' || variant === 'ours-nocache' || variant === 'ours-feed') {
  const verifier = createVerifier({
    issuer: config.issuer,
    audience: config.audience,
    publicKey: config.publicKeyPem,
    ...(variant === 'ours-nocache' ? { tokenCache: false } : {}),
    ...(variant === 'ours-feed' ? { revocationsUri: config.revocationsUri } : {}),
  });
  if (variant === 'ours-feed') await feedLoaded(verifier, config);
  await app.register(fastifyVerifier, { verifier });
  preHandler = app.requireToken({ scopes: [config.scope] });
} else if (variant === 'peer') {
  await app.register(fastifyJwt, {
    secret: { public: config.publicKeyPem },
    verify: { algorithms: ['RS256'], allowedIss: config.issuer, allowedAud: config.audience },
  });
  preHandler = async (request, reply) => {
    await request.jwtVerify();
    const scopes = String(request.user.scope ?? '').split(' ');
    if (!scopes.includes(config.scope)) {
      reply.code(403).send({ error: 'insufficient_scope' });
    }
  };
} else if (variant === 'noop') {
  preHandler = (_request, _reply, done) => done();
} else if (variant !== 'none') {
  throw new Error(`unknown variant ${variant}`);
}

app.get('/resource', preHandler === undefined ? {} : { preHandler }, async () => body);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
reportReady({ url: `${url}/resource` }, { close: () => app.close() });
