// An Express 5 resource server with one GET route, protected (or not) by the variant under test:
//   none          unprotected: the ceiling
//   ours          @m2m-auth/verifier/express, default options (verified-token cache on)
//   ours-nocache  the same with tokenCache: false (every request is a full verification)
//   noop          a middleware that does nothing: what the framework's extra layer costs
//   noop-auth     (Express) a middleware that only sets req.auth to a constant and calls next()
//   ours-feed     `ours` with the revocation feed on: `revocationsUri` (config) polled at the
//                 default interval
//   peer          express-oauth2-jwt-bearer with the same public key, iss, aud, and the scope
//
//   node bench/servers/verify-express.js --variant ours --config <file.json>
//   config: { publicKeyPem, issuer, audience, scope, revocationsUri? }
import { readFileSync } from 'node:fs';
import { createVerifier } from '@m2m-auth/verifier';
import { requireToken } from '@m2m-auth/verifier/express';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { feedLoaded, parseArgs, reportReady } from '../lib/child.js';

const { variant, config: configPath } = parseArgs();
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const app = express();
app.disable('x-powered-by');
app.disable('etag');
const middleware = [];

if (variant === 'ours' || variant === 'ours-nocache' || variant === 'ours-feed') {
  const verifier = createVerifier({
    issuer: config.issuer,
    audience: config.audience,
    publicKey: config.publicKeyPem,
    ...(variant === 'ours-nocache' ? { tokenCache: false } : {}),
    ...(variant === 'ours-feed' ? { revocationsUri: config.revocationsUri } : {}),
  });
  if (variant === 'ours-feed') await feedLoaded(verifier, config);
  middleware.push(requireToken({ verifier, scopes: [config.scope] }));
} else if (variant === 'peer') {
  middleware.push(
    auth({
      issuer: config.issuer,
      audience: config.audience,
      publicKey: config.publicKeyPem,
      tokenSigningAlg: 'RS256',
    }),
    requiredScopes(config.scope),
  );
} else if (variant === 'noop') {
  middleware.push((_req, _res, next) => next());
} else if (variant === 'noop-auth') {
  // What `requireToken` does on a cache hit besides the lookup: set req.auth, call next().
  const auth = Object.freeze({ clientId: 'c', scopes: [config.scope], claims: {} });
  middleware.push((req, _res, next) => {
    req.auth = auth;
    next();
  });
} else if (variant !== 'none') {
  throw new Error(`unknown variant ${variant}`);
}

app.get('/resource', ...middleware, (_req, res) => {
  res.json({ ok: true });
});
const server = await new Promise((resolve) => {
  const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
});
reportReady(
  { url: `http://127.0.0.1:${server.address().port}/resource` },
  { close: () => new Promise((resolve) => server.close(resolve)) },
);
