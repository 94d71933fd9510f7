// perf profile of token-ladder variants (servers/token-ladder.js) or `m2m-auth serve`: CPU µs
// per request by leaf symbol, so that two variants can be compared item by item. Used for
// bench/ANALYSIS.md; not part of `npm run bench`.
//
//   node bench/micro/token-perf.js --variant ours --alg EdDSA [--durationSec 6] [--top 60]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../lib/child.js';
import { startLoadGenerator } from '../lib/measure.js';
import { AUDIENCE, prepareStore, SCOPE, startCliServer } from '../lib/our-server.js';
import { startPinned } from '../lib/processes.js';

const args = parseArgs();
const alg = args.alg ?? 'EdDSA';
const variant = args.variant ?? 'ours';
const durationSec = Number(args.durationSec ?? 6);
const top = Number(args.top ?? 60);
const FREQUENCY = 4999;
const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-token-perf-'));
const LADDER = fileURLToPath(new URL('../servers/token-ladder.js', import.meta.url));
const load = await startLoadGenerator();
let server;
try {
  const prepared = await prepareStore(dir, 'perf', alg);
  server =
    variant === 'serve'
      ? await startCliServer(prepared, join(dir, 'serve.log'), ['--perf-basic-prof'])
      : await startPinned({
          script: LADDER,
          nodeArgs: ['--perf-basic-prof'],
          args: ['--variant', variant, '--database', prepared.databaseUrl, '--alg', alg],
          env: { M2M_AUTH_KEK: prepared.kek },
          ...(variant === 'ours' ? {} : {}),
        });
  if (variant === 'ours') {
    // token-ladder's `ours` needs --log; restart with it.
    await server.stop();
    server = await startPinned({
      script: LADDER,
      nodeArgs: ['--perf-basic-prof'],
      args: [
        '--variant',
        variant,
        '--database',
        prepared.databaseUrl,
        '--alg',
        alg,
        '--log',
        join(dir, 'ours.log'),
      ],
      env: { M2M_AUTH_KEK: prepared.kek },
    });
  }
  const spec = {
    url: `${server.url ?? server.info.url}/oauth/token`,
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${prepared.clientId}:${prepared.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials&audience=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`,
    connections: 10,
  };
  await load.measure({ ...spec, durationSec: 4 }, server.pid);
  const perfData = join(dir, 'perf.data');
  const recorder = spawn(
    'perf',
    [
      'record',
      '-e',
      'cpu-clock',
      '-F',
      String(FREQUENCY),
      '-g',
      '-o',
      perfData,
      '-p',
      String(server.pid),
    ],
    { stdio: 'ignore' },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const result = await load.measure({ ...spec, durationSec }, server.pid);
  recorder.kill('SIGINT');
  await once(recorder, 'exit');
  const requests = result.ok;
  const script = spawnSync('perf', ['script', '-i', perfData, '-F', 'ip,sym,dso'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const sample of script.stdout.split('\n\n')) {
    const frames = sample
      .trim()
      .split('\n')
      .map((f) =>
        f
          .trim()
          .replace(/^[0-9a-f]+\s+/, '')
          .replace(/\+0x[0-9a-f]+/, '')
          .replace(/\s+\(\/tmp\/perf-\d+\.map\)$/, '')
          .replace(/file:\/\/\/work\/wt-16\//, '')
          .replace(/\/work\/wt-16\//, ''),
      )
      .filter(Boolean);
    if (frames.length === 0) continue;
    total++;
    self.set(frames[0], (self.get(frames[0]) ?? 0) + 1);
    for (const frame of new Set(frames.filter((f) => f.startsWith('JS:')))) {
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + 1);
    }
  }
  // Samples were taken over the recorded load plus a little idle time around it; scale by the
  // server's CPU time per request measured over the load.
  const usPerSample = result.serverCpuUsPerRequest / total;
  const list = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, n]) => `${(n * usPerSample).toFixed(2).padStart(7)} µs  ${k.slice(0, 160)}`)
      .join('\n');
  process.stdout.write(
    `${variant} ${alg}: ${Math.round(result.rps)} req/s, server CPU ${result.serverCpuUsPerRequest.toFixed(1)} µs/request, ${requests} requests, ${total} samples, foreign ${Math.round((result.foreignShare ?? 0) * 100)} %\n\nself (leaf frame):\n${list(self)}\n\ninclusive (JS frames):\n${list(inclusive)}\n`,
  );
} finally {
  await server?.stop();
  await load.stop();
  rmSync(dir, { recursive: true, force: true });
}
