// The cost of the revocation feed on the request path: the repeated-token case (verified-token
// cache on) with the feed off and on, in one process, alternating passes so that drift hits both.
// The feed is a loopback server listing 100 revoked clients and 1000 revoked jtis that do not
// cover the token (the lookups run but miss, the usual case), polled every second.
//
//   node bench/micro/revocation-feed.js [--durationSec 1] [--passes 6]
//
// Prints requests per second of `verifier.verify` (10 calls in flight, as a server with 10
// connections) and of the adapters' synchronous `authenticateCached`, and on/off ratios.
// Reports figures only; nothing here is a pass/fail threshold.
import { createServer } from 'node:http';
import { createVerifier } from '@m2m-auth/verifier';
import { parseArgs } from '../lib/child.js';
import { makeTokens } from '../lib/tokens.js';
import { asyncRate, syncRate } from './loop.js';

const args = parseArgs();
const durationSec = Number(args.durationSec ?? 1);
const passes = Number(args.passes ?? 6);
const issuer = 'https://auth.bench';
const audience = 'ms_bench';
const scope = 'bench:read';

const feed = JSON.stringify({
  iss: issuer,
  revoked_clients: Array.from({ length: 100 }, (_, i) => ({
    client_id: `revoked_${i}`,
    revoked_at: 0,
    exp: 0,
  })),
  revoked_tokens: Array.from({ length: 1000 }, (_, i) => ({
    jti: `jti-${i}`,
    revoked_at: 0,
    exp: 0,
  })),
});
// Answers If-None-Match with 304, as the auth-service does: an unchanged feed costs a round trip.
const server = createServer((req, res) => {
  if (req.headers['if-none-match'] === '"bench"') res.writeHead(304, { etag: '"bench"' }).end();
  else res.writeHead(200, { 'content-type': 'application/json', etag: '"bench"' }).end(feed);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const feedUrl = `http://127.0.0.1:${server.address().port}/revocations`;

const { publicKeyPem, tokens } = await makeTokens({ issuer, audience, scope, count: 1 });
const token = tokens[0];
const authorization = `Bearer ${token}`;
const common = { issuer, audience, publicKey: publicKeyPem, logger: false };
const verifiers = {
  off: createVerifier(common),
  on: createVerifier({ ...common, revocationsUri: feedUrl, revocationsPollIntervalSec: 1 }),
};
const scopes = { scopes: [scope] };
for (const verifier of Object.values(verifiers)) await verifier.verify(token, scopes);
if (verifiers.on.revocationStatus()?.revokedTokens !== 1000) throw new Error('feed not loaded');

const results = { off: { verify: [], cached: [] }, on: { verify: [], cached: [] } };
for (let pass = 0; pass < passes; pass++) {
  const order = pass % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const mode of order) {
    const verifier = verifiers[mode];
    results[mode].verify.push(
      (await asyncRate(() => verifier.verify(token, scopes), durationSec, 10)).perSec,
    );
    results[mode].cached.push(
      syncRate(() => {
        if (verifier.authenticateCached(authorization, scopes) === undefined) {
          throw new Error('cache miss');
        }
      }, durationSec).perSec,
    );
  }
}
for (const verifier of Object.values(verifiers)) verifier.close();
server.close();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`one token repeated, ${passes} passes of ${durationSec} s, medians (ops/s):`);
console.log('| path | feed off | feed on | on/off | added per call |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [path, label] of [
  ['verify', 'verifier.verify (10 in flight)'],
  ['cached', 'authenticateCached (sync)'],
]) {
  const off = median(results.off[path]);
  const on = median(results.on[path]);
  const addedNs = (1 / on - 1 / off) * 1e9;
  console.log(
    `| ${label} | ${fmt(off)} | ${fmt(on)} | ${(on / off).toFixed(3)} | ${Math.round(addedNs)} ns |`,
  );
}
