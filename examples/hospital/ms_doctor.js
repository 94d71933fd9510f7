// ms_doctor: a resource server (Fastify). It accepts access tokens minted for audience ms_doctor
// and checks them locally with the auth-service's public key file: no secret, no call to the
// auth-service per request.
//
//   node --env-file=ms_doctor.env ms_doctor.js
//
// Its .env (written by `m2m-auth provision`) gives OAUTH_PUBLIC_KEY_PATH, OAUTH_ISSUER and
// OAUTH_AUDIENCE; PORT is optional (default 0: any free port).
import { createVerifier } from '@m2m-auth/verifier';
import { fastifyVerifier } from '@m2m-auth/verifier/fastify';
import Fastify from 'fastify';

// A missing or unreadable setting throws here, at start, not at the first request.
const m2mAuth = {
  issuer: process.env.OAUTH_ISSUER,
  audience: process.env.OAUTH_AUDIENCE,
  publicKeyPath: process.env.OAUTH_PUBLIC_KEY_PATH,
};
// While callers move from Laravel Passport (docs/passport-migration.md), also accept
// Passport-shaped tokens signed with Passport's oauth-public.key; each token goes to one source
// by its typ and iss, and request.auth.source says which.
const passportKey = process.env.OAUTH_PASSPORT_PUBLIC_KEY_PATH;
const verifier = createVerifier(
  passportKey
    ? {
        sources: [
          { name: 'm2m-auth', ...m2mAuth },
          { name: 'passport', tokenFormat: 'passport', publicKeyPath: passportKey },
        ],
      }
    : m2mAuth,
);

const app = Fastify();
await app.register(fastifyVerifier, { verifier });

app.get(
  '/doctors/api/some-data',
  { onRequest: app.requireToken({ scopes: ['doctors:read'] }) },
  async (request) => ({
    doctors: [
      { id: 1, name: 'Dr. Amara Okafor', specialty: 'cardiology' },
      { id: 2, name: 'Dr. Lukas Brandt', specialty: 'neurology' },
      { id: 3, name: 'Dr. Mei Tanaka', specialty: 'paediatrics' },
    ],
    // Who called, as verified: handy for audit logs (never log the token itself).
    caller: {
      clientId: request.auth.clientId,
      scopes: request.auth.scopes,
      expiresAt: new Date(request.auth.claims.exp * 1000).toISOString(),
    },
  }),
);

const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`ms_doctor listening on ${url}`);
