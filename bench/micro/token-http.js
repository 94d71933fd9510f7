// The token endpoint over HTTP, layer by layer (servers/token-ladder.js and `m2m-auth serve`):
// server CPU µs per request of each variant, interleaved over rounds, medians. What the whole
// server costs beyond "bare Fastify POST + one signature", split into HTTP layers; the item-by-item
// costs inside our code are bench/micro/token-path.js's. Used for bench/ANALYSIS.md; not part of
// `npm run bench`.
//
//   node bench/micro/token-http.js [--alg EdDSA|RS256] [--rounds 5] [--durationSec 2]
//     [--variants bare,bare-sign,ours-nolog,ours,serve]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../lib/child.js';
import { startLoadGenerator } from '../lib/measure.js';
import { AUDIENCE, prepareStore, SCOPE, startCliServer } from '../lib/our-server.js';
import { startPinned } from '../lib/processes.js';
import { median } from '../lib/stats.js';

const args = parseArgs();
const alg = args.alg ?? 'EdDSA';
const rounds = Number(args.rounds ?? 5);
const durationSec = Number(args.durationSec ?? 2);
const variants = (args.variants ?? 'bare,bare-sign,ours-nolog,ours,serve').split(',');
const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-token-http-'));
const LADDER = fileURLToPath(new URL('../servers/token-ladder.js', import.meta.url));

const load = await startLoadGenerator();
const servers = {};
try {
  const prepared = await prepareStore(dir, 'ladder', alg);
  for (const variant of variants) {
    servers[variant] =
      variant === 'serve'
        ? await startCliServer(prepared, join(dir, 'serve.log'))
        : await startPinned({
            script: LADDER,
            args: [
              '--variant',
              variant,
              '--database',
              prepared.databaseUrl,
              '--alg',
              alg,
              '--log',
              join(dir, `${variant}.log`),
            ],
            env: { M2M_AUTH_KEK: prepared.kek },
          });
  }
  const spec = (variant) => ({
    url: `${servers[variant].url ?? servers[variant].info.url}/oauth/token`,
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${prepared.clientId}:${prepared.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials&audience=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`,
    connections: 10,
    durationSec,
  });
  const figures = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const result = await load.measure(
        { ...spec(variant), warmupSec: round === 0 ? 2 : 0.5 },
        servers[variant].pid,
      );
      figures[variant].push({
        cpuUs: result.serverCpuUsPerRequest,
        rps: result.rps,
        foreign: result.foreignShare,
      });
    }
  }
  const summary = {};
  for (const variant of variants) {
    summary[variant] = {
      cpuUs: Number(median(figures[variant].map((f) => f.cpuUs)).toFixed(1)),
      rounds: figures[variant].map((f) => Number(f.cpuUs.toFixed(1))),
      rps: Math.round(median(figures[variant].map((f) => f.rps))),
      foreignShare: Number(median(figures[variant].map((f) => f.foreign ?? 0)).toFixed(2)),
    };
  }
  process.stdout.write(`${JSON.stringify({ alg, rounds, durationSec, summary }, null, 1)}\n`);
} finally {
  for (const server of Object.values(servers)) await server.stop();
  await load.stop();
  rmSync(dir, { recursive: true, force: true });
}
