// Memory of the verified-token cache at its default size: a verifier with its defaults verifies
// as many distinct tokens as the cache holds, each token a fresh string (as a request header
// would give it, so that only the cache keeps it), and the heap and resident set are read, after
// a full GC, before and after. The same is done with `tokenCache: false` (what verification alone
// leaves behind), in a separate child, so the two do not share a heap.
//
//   node --expose-gc bench/micro/cache-memory.js --config <file.json> [--cache on|off]
//   config: { publicKeyPem, issuer, audience, scope, tokens }
import { readFileSync } from 'node:fs';
import { createVerifier } from '@m2m-auth/verifier';
import { parseArgs } from '../lib/child.js';

const args = parseArgs();
const config = JSON.parse(readFileSync(args.config, 'utf8'));
const cacheOn = (args.cache ?? 'on') === 'on';
// The tokens as bytes: each verification gets a new string, like a header parsed per request.
const tokenBytes = config.tokens.map((token) => Buffer.from(token, 'latin1'));
delete config.tokens;

const verifier = createVerifier({
  issuer: config.issuer,
  audience: config.audience,
  publicKey: config.publicKeyPem,
  ...(cacheOn ? {} : { tokenCache: false }),
  logger: false,
});
const scopes = { scopes: [config.scope] };

function settle() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, rss, external, arrayBuffers };
}

// Warm up the verification code on a throwaway verifier, and load this verifier's key, so that
// what follows adds only what the cache keeps.
const warmUp = createVerifier({
  issuer: config.issuer,
  audience: config.audience,
  publicKey: config.publicKeyPem,
  tokenCache: false,
  logger: false,
});
for (const bytes of tokenBytes.slice(0, 50)) await warmUp.verify(bytes.toString('latin1'), scopes);
await verifier.refreshKeys();
const before = settle();
let verified = 0;
for (const bytes of tokenBytes) {
  await verifier.verify(bytes.toString('latin1'), scopes);
  verified++;
}
const after = settle();
// Keep the verifier alive until after the measurement.
if (verifier.realm === Symbol.for('never')) process.stdout.write('');
const entries = verified;
process.stdout.write(
  `${JSON.stringify({
    cache: cacheOn ? 'on' : 'off',
    entries,
    tokenLength: tokenBytes[0].length,
    heapBytesPerToken: (after.heapUsed - before.heapUsed) / entries,
    rssBytesPerToken: (after.rss - before.rss) / entries,
    heapMB: after.heapUsed / 2 ** 20,
    rssMB: after.rss / 2 ** 20,
  })}\n`,
);
