// The calling side of the client row, on the load core. Two phases, one JSON line on stdout:
//
//   --phase burst: one token client, `calls` calls of client.fetch from `concurrency` concurrent
//     callers, all started at once (the token request count is read at the server afterwards).
//   --phase latency: plain fetch, fetch with the same Authorization header, and client.fetch
//     interleaved, `passes` times each, sequential
//     calls for `durationSec` (latency per call) and `concurrency` callers for `durationSec`
//     (calls per second).
//
//   node bench/callers/client-calls.js --phase burst --config <file.json>
//   config: { tokenUrl, clientId, clientSecret, audience, scope, resourceUrl, calls,
//             concurrency, durationSec, passes }
import { readFileSync } from 'node:fs';
import { createTokenClient } from '@m2m-auth/client';
import { parseArgs } from '../lib/child.js';

const args = parseArgs();
const config = JSON.parse(readFileSync(args.config, 'utf8'));
const client = createTokenClient({
  tokenUrl: config.tokenUrl,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  audience: config.audience,
  scope: config.scope,
});
const plainFetch = (url) => fetch(url);
const clientFetch = (url) => client.fetch(url);

/** `count` calls (or as many as fit in `durationSec`) from `concurrency` callers. */
async function callMany(call, { count = Number.POSITIVE_INFINITY, durationSec, concurrency }) {
  const end =
    durationSec === undefined ? Number.POSITIVE_INFINITY : performance.now() + durationSec * 1000;
  let started = 0;
  let failed = 0;
  const latenciesUs = [];
  const caller = async () => {
    while (started < count && performance.now() < end) {
      started++;
      const t0 = performance.now();
      const response = await call(config.resourceUrl);
      await response.arrayBuffer();
      latenciesUs.push((performance.now() - t0) * 1000);
      if (response.status !== 200) failed++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsedSec = (performance.now() - t0) / 1000;
  latenciesUs.sort((a, b) => a - b);
  const at = (q) =>
    latenciesUs[Math.min(latenciesUs.length - 1, Math.floor(q * latenciesUs.length))];
  return {
    calls: latenciesUs.length,
    failed,
    elapsedSec,
    callsPerSec: latenciesUs.length / elapsedSec,
    meanUs: latenciesUs.reduce((a, b) => a + b, 0) / latenciesUs.length,
    p50Us: at(0.5),
    p99Us: at(0.99),
  };
}

let result;
if (args.phase === 'burst') {
  result = await callMany(clientFetch, { count: config.calls, concurrency: config.concurrency });
} else {
  // Warm both paths (and get the token) before anything is recorded.
  // The same request as client.fetch sends, made by hand with a token got once: separates what
  // the client costs from what carrying a bearer token costs (undici's header handling, bytes).
  const headerInit = { headers: { authorization: `Bearer ${await client.getToken()}` } };
  const headerFetch = (url) => fetch(url, headerInit);
  await callMany(plainFetch, { durationSec: config.durationSec / 2, concurrency: 1 });
  await callMany(headerFetch, { durationSec: config.durationSec / 2, concurrency: 1 });
  await callMany(clientFetch, { durationSec: config.durationSec / 2, concurrency: 1 });
  result = { passes: [] };
  for (let pass = 0; pass < config.passes; pass++) {
    const sequential = {};
    const concurrent = {};
    const calls = [
      ['plain', plainFetch],
      ['header', headerFetch],
      ['client', clientFetch],
    ];
    // Odd passes in reverse order, so that load drifting within a pass favours no one.
    for (const [name, call] of pass % 2 === 0 ? calls : calls.reverse()) {
      sequential[name] = await callMany(call, { durationSec: config.durationSec, concurrency: 1 });
      concurrent[name] = await callMany(call, {
        durationSec: config.durationSec,
        concurrency: config.concurrency,
      });
    }
    result.passes.push({ sequential, concurrent });
  }
}
process.stdout.write(`${JSON.stringify(result)}\n`);
