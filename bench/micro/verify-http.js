// A verification route over HTTP, variant against variant (servers/verify-fastify.js,
// verify-express.js): server CPU µs per request of each, interleaved over rounds, medians. With
// `noop` (a middleware that does nothing) it separates what the framework's extra layer costs from
// what our verifier costs. Used for bench/ANALYSIS.md; not part of `npm run bench`.
//
//   node bench/micro/verify-http.js --framework fastify|express [--tokens repeated|distinct]
//     [--variants none,noop,ours] [--rounds 6] [--durationSec 2]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../lib/child.js';
import { startLoadGenerator } from '../lib/measure.js';
import { AUDIENCE, SCOPE } from '../lib/our-server.js';
import { startPinned } from '../lib/processes.js';
import { median } from '../lib/stats.js';
import { makeTokens } from '../lib/tokens.js';

const args = parseArgs();
const framework = args.framework ?? 'fastify';
const tokensMode = args.tokens ?? 'repeated';
const rounds = Number(args.rounds ?? 6);
const durationSec = Number(args.durationSec ?? 2);
const variants = (args.variants ?? 'none,noop,ours').split(',');
const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-verify-http-'));
const issuer = 'http://127.0.0.1:8080';

const load = await startLoadGenerator();
const servers = {};
try {
  const { publicKeyPem, tokens } = await makeTokens({
    issuer,
    audience: AUDIENCE,
    scope: SCOPE,
    count: 1000,
  });
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({ publicKeyPem, issuer, audience: AUDIENCE, scope: SCOPE }),
  );
  for (const variant of variants) {
    servers[variant] = await startPinned({
      script: fileURLToPath(new URL(`../servers/verify-${framework}.js`, import.meta.url)),
      args: ['--variant', variant, '--config', configPath],
    });
  }
  const authorizations = tokens.map((token) => `Bearer ${token}`);
  const figures = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const result = await load.measure(
        {
          url: servers[variant].info.url,
          ...(tokensMode === 'repeated'
            ? { headers: { authorization: authorizations[0] } }
            : { authorizations }),
          connections: 10,
          durationSec,
          warmupSec: round === 0 ? 2 : 0.5,
        },
        servers[variant].pid,
      );
      figures[variant].push({ cpuUs: result.serverCpuUsPerRequest, foreign: result.foreignShare });
    }
  }
  const summary = {};
  for (const variant of variants) {
    summary[variant] = {
      cpuUs: Number(median(figures[variant].map((f) => f.cpuUs)).toFixed(1)),
      rounds: figures[variant].map((f) => Number(f.cpuUs.toFixed(1))),
      foreignShare: Number(median(figures[variant].map((f) => f.foreign ?? 0)).toFixed(2)),
    };
  }
  process.stdout.write(
    `${JSON.stringify({ framework, tokens: tokensMode, rounds, durationSec, summary })}\n`,
  );
} finally {
  for (const server of Object.values(servers)) await server.stop();
  await load.stop();
  rmSync(dir, { recursive: true, force: true });
}
