// ms_college: a resource server (Express). It accepts access tokens minted for audience
// ms_college and checks them locally with the keys the auth-service publishes at its JWKS URL
// (fetched once, cached, refreshed in the background): no secret needed.
//
//   node --env-file=ms_college.env ms_college.js
//
// Its .env (written by `m2m-auth provision`) gives OAUTH_JWKS_URL, OAUTH_ISSUER and
// OAUTH_AUDIENCE; PORT is optional (default 0: any free port).
import { createVerifier } from '@m2m-auth/verifier';
import { requireToken } from '@m2m-auth/verifier/express';
import express from 'express';

// A missing or invalid setting throws here, at start, not at the first request.
const verifier = createVerifier({
  issuer: process.env.OAUTH_ISSUER,
  audience: process.env.OAUTH_AUDIENCE,
  jwksUri: process.env.OAUTH_JWKS_URL,
});

const app = express();

app.get(
  '/colleges/api/some-data',
  requireToken({ verifier, scopes: ['colleges:read'] }),
  (req, res) => {
    res.json({
      colleges: [
        { id: 1, name: 'Royal College of Physicians', awards: ['MRCP'] },
        { id: 2, name: 'College of Surgeons', awards: ['FRCS', 'MRCS'] },
      ],
      // Who called, as verified: handy for audit logs (never log the token itself).
      caller: {
        clientId: req.auth.clientId,
        scopes: req.auth.scopes,
        expiresAt: new Date(req.auth.claims.exp * 1000).toISOString(),
      },
    });
  },
);

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`ms_college listening on http://127.0.0.1:${server.address().port}`);
});
