// ms_pharmacy: a resource server (Hono on Node). It accepts access tokens minted for audience
// ms_pharmacy and checks them locally with the auth-service's public key file.
//
//   node --env-file=ms_pharmacy.env ms_pharmacy.js
//
// Its .env (written by `m2m-auth provision`) gives OAUTH_PUBLIC_KEY_PATH, OAUTH_ISSUER and
// OAUTH_AUDIENCE; PORT is optional (default 0: any free port).
import { serve } from '@hono/node-server';
import { createVerifier } from '@m2m-auth/verifier';
import { requireToken } from '@m2m-auth/verifier/hono';
import { Hono } from 'hono';

// A missing or unreadable setting throws here, at start, not at the first request.
const verifier = createVerifier({
  issuer: process.env.OAUTH_ISSUER,
  audience: process.env.OAUTH_AUDIENCE,
  publicKeyPath: process.env.OAUTH_PUBLIC_KEY_PATH,
});

const app = new Hono();

app.get(
  '/pharmacy/api/some-data',
  requireToken({ verifier, scopes: ['prescriptions:read'] }),
  (c) => {
    const auth = c.get('auth');
    return c.json({
      prescriptions: [
        { id: 1, drug: 'amoxicillin', dose: '500 mg', dispensed: true },
        { id: 2, drug: 'salbutamol', dose: '100 µg', dispensed: false },
      ],
      // Who called, as verified: handy for audit logs (never log the token itself).
      caller: {
        clientId: auth.clientId,
        scopes: auth.scopes,
        expiresAt: new Date(auth.claims.exp * 1000).toISOString(),
      },
    });
  },
);

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 0) }, (info) => {
  console.log(`ms_pharmacy listening on http://127.0.0.1:${info.port}`);
});
