// What the token endpoint does besides HTTP and the signature, item by item, in CPU µs per token:
// each step of POST /oauth/token run alone in a loop on one core, on the server's own code (the
// built dist, internal modules included), a real SQLite store and a real pino logger writing
// asynchronously to a file, as `m2m-auth serve` does. The sum is checked against the whole grant
// run the same way. Used for bench/ANALYSIS.md; not part of `npm run bench`.
//
//   taskset -c 0 node bench/micro/token-path.js [--durationSec 1] [--alg EdDSA|RS256]
import { randomUUID, sign } from 'node:crypto';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@m2m-auth/server';
import { pino } from 'pino';
import { parseArgs } from '../lib/child.js';
import { AUDIENCE, prepareStore, SCOPE } from '../lib/our-server.js';

const dist = (path) => new URL(`../../packages/server/dist/${path}`, import.meta.url).href;
const { parseFormBody } = await import(dist('http/internal/parse-form-body.js'));
const { extractClientCredentials } = await import(
  dist('grants/internal/extract-client-credentials.js')
);
const { verifyClientSecret } = await import(dist('clients/verify-client-secret.js'));
const { StoreCache } = await import(dist('http/internal/store-cache.js'));
const { issueAccessToken } = await import(dist('tokens/issue-access-token.js'));
const { grantClientCredentials } = await import(dist('grants/client-credentials-grant.js'));
const { createTokenAudit } = await import(dist('http/internal/token-audit.js'));
const { AuthFailureLimiter } = await import(dist('limits/auth-failure-limiter.js'));
const { ServerMetrics } = await import(dist('metrics/server-metrics.js'));

const args = parseArgs();
const durationSec = Number(args.durationSec ?? 1);
const alg = args.alg ?? 'EdDSA';
const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-token-path-'));

/** CPU µs per call of `op` (awaited when it returns a promise), best of 5 rounds. */
async function cost(op) {
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    const end = performance.now() + (durationSec * 1000) / 5;
    let count = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 16; i++) {
        const result = op(count++);
        if (result instanceof Promise) await result;
      }
      // Let asynchronous work (the log destination's writes) run, as between requests.
      if (count % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / count);
  }
  return Math.min(...rounds);
}

try {
  const prepared = await prepareStore(dir, 'path', alg);
  const store = await openStore({ databaseUrl: prepared.databaseUrl, kek: prepared.kek });
  const logger = pino(
    { level: 'info' },
    pino.destination({ dest: openSync(join(dir, 'log'), 'w'), sync: false }),
  );
  const cache = new StoreCache(store, { revisionCheckIntervalMs: 0, logger });
  await cache.start();
  const basic = `Basic ${Buffer.from(`${prepared.clientId}:${prepared.clientSecret}`).toString('base64')}`;
  const body = Buffer.from(
    `grant_type=client_credentials&audience=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`,
  );
  const nowSec = Math.floor(Date.now() / 1000);
  const credentials = await cache.findClient(prepared.clientId);
  const signingKey = await cache.signingKey(nowSec);
  const grant = {
    issuer: 'http://127.0.0.1:8080',
    clientId: prepared.clientId,
    audience: AUDIENCE,
    scopes: [SCOPE],
    expiresInSec: 900,
  };
  const issued = await issueAccessToken(signingKey, grant);
  const [h, p] = issued.accessToken.split('.');
  const signingInput = Buffer.from(`${h}.${p}`);
  const { KeyObject } = await import('node:crypto');
  const keyObject = KeyObject.from(signingKey.key);
  const signOptions = alg === 'ES256' ? { key: keyObject, dsaEncoding: 'ieee-p1363' } : keyObject;
  const digest = alg === 'EdDSA' ? null : 'sha256';
  const grantContext = {
    issuer: grant.issuer,
    findClient: (id) => cache.findClient(id),
    verifySecret: (c, secret, now) => verifyClientSecret(secret, c?.secrets ?? [], now),
    signingKey: (now) => cache.signingKey(now),
  };
  const audit = createTokenAudit(true, undefined);
  const request = { log: logger.child({ reqId: 'req-1' }), ip: '127.0.0.1' };
  const grantResult = await grantClientCredentials(
    { params: parseFormBody(body), authorization: basic, sourceAddress: '127.0.0.1' },
    grantContext,
  );

  const items = {};
  items.formBody = await cost(() => parseFormBody(body));
  items.basicCredentials = await cost(() => extractClientCredentials({}, basic));
  items.clientLookup = await cost(() => cache.findClient(prepared.clientId));
  items.secretCheck = await cost(() =>
    verifyClientSecret(prepared.clientSecret, credentials.secrets, nowSec),
  );
  items.revisionRead = await cost(() => cache.ensureFresh());
  items.signingKeyLookup = await cost(() => cache.signingKey(nowSec));
  items.jti = await cost(() => randomUUID());
  items.signature = await cost(() => sign(digest, signingInput, signOptions));
  items.issueAccessToken = await cost(() => issueAccessToken(signingKey, grant));
  // The rest of issueAccessToken, replayed without the signature: jti, claims JSON, base64url of
  // the claims and of a signature-sized buffer, the concatenations.
  const fakeSignature = sign(digest, signingInput, signOptions);
  const prefix = `${h}.`;
  items.claimsAndEncoding = await cost(() => {
    const now = Math.floor(Date.now() / 1000);
    const claims = JSON.stringify({
      iss: grant.issuer,
      sub: grant.clientId,
      aud: grant.audience,
      exp: now + 900,
      iat: now,
      jti: randomUUID(),
      client_id: grant.clientId,
      scope: grant.scopes.join(' '),
    });
    const input = prefix + Buffer.from(claims, 'utf8').toString('base64url');
    const bytes = Buffer.from(input, 'latin1');
    return `${input}.${fakeSignature.toString('base64url')}${bytes.length > 0 ? '' : '?'}`;
  });
  items.auditLine = await cost(() => audit.issued(request, grantResult));
  items.childLogger = await cost(() => logger.child({ reqId: 'req-1' }));
  items.responseJson = await cost(() => JSON.stringify(grantResult.body));
  // Not on `m2m-auth serve`'s default path (no admin listener, so no metrics), or only on some
  // requests; measured for the itemization.
  const limiter = new AuthFailureLimiter({});
  items.rateLimiter = await cost(() => {
    limiter.check(prepared.clientId, '127.0.0.1', Date.now());
    limiter.recordSuccess(prepared.clientId, '127.0.0.1', Date.now());
  });
  const metrics = new ServerMetrics({ store, cache, auditWriter: undefined }, {});
  const facts = {
    clientId: prepared.clientId,
    authMethod: 'client_secret_basic',
    authenticated: true,
  };
  items.metricsWhenOn = await cost(() => metrics.tokenRequest(0.0012, undefined, facts));
  const requestFacts = new WeakMap();
  items.factsWeakMap = await cost(() => requestFacts.set({}, facts));
  items.wholeGrant = await cost(() =>
    grantClientCredentials(
      { params: parseFormBody(body), authorization: basic, sourceAddress: '127.0.0.1' },
      grantContext,
    ),
  );
  items.wholeGrantBesidesSignature = items.wholeGrant - items.signature;
  items.sumOfItems =
    items.formBody +
    items.basicCredentials +
    items.clientLookup +
    items.secretCheck +
    items.revisionRead +
    items.signingKeyLookup +
    items.claimsAndEncoding +
    items.auditLine +
    items.childLogger +
    items.responseJson +
    items.rateLimiter +
    items.factsWeakMap;
  await cache.stop();
  await store.close();
  process.stdout.write(`${JSON.stringify({ alg, items })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
