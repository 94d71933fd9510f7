// perf profile of one server under load, in CPU µs per request by leaf symbol (self) and by
// JavaScript frame (inclusive), so that two variants can be compared item by item: the token
// endpoint's ladder variants (servers/token-ladder.js) or `m2m-auth serve`, or a verification
// server (servers/verify-fastify.js, verify-express.js). Used for bench/ANALYSIS.md; not part of
// `npm run bench`.
//
//   node bench/micro/perf-by-symbol.js --variant ours --alg EdDSA [--durationSec 6] [--top 60]
//   node bench/micro/perf-by-symbol.js --verify fastify|express --variant none|peer|ours|ours-nocache
//     [--tokens distinct|repeated]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../lib/child.js';
import { startLoadGenerator } from '../lib/measure.js';
import { AUDIENCE, prepareStore, SCOPE, startCliServer } from '../lib/our-server.js';
import { startPinned } from '../lib/processes.js';
import { makeTokens } from '../lib/tokens.js';

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
  let spec;
  if (args.verify !== undefined) {
    ({ server, spec } = await startVerifyServer());
  } else {
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
    spec = {
      url: `${server.url ?? server.info.url}/oauth/token`,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${prepared.clientId}:${prepared.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials&audience=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`,
      connections: 10,
    };
  }
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
  const components = new Map();
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
    const component = componentOf(frames[0]);
    components.set(component, (components.get(component) ?? 0) + 1);
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
    `${args.verify ?? 'token'} ${variant} ${args.verify === undefined ? alg : (args.tokens ?? 'distinct')}: ${Math.round(result.rps)} req/s, server CPU ${result.serverCpuUsPerRequest.toFixed(1)} µs/request, ${requests} requests, ${total} samples, foreign ${Math.round((result.foreignShare ?? 0) * 100)} %\n\nby kind of leaf frame:\n${list(components)}\n\nself (leaf frame):\n${list(self)}\n\ninclusive (JS frames):\n${list(inclusive)}\n`,
  );
} finally {
  await server?.stop();
  await load.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function startVerifyServer() {
  const issuer = 'http://127.0.0.1:8080';
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
  const started = await startPinned({
    script: fileURLToPath(new URL(`../servers/verify-${args.verify}.js`, import.meta.url)),
    nodeArgs: ['--perf-basic-prof'],
    args: ['--variant', variant, '--config', configPath],
  });
  const authorizations = tokens.map((token) => `Bearer ${token}`);
  return {
    server: started,
    spec: {
      url: started.info.url,
      connections: 10,
      ...(args.tokens === 'repeated'
        ? { headers: { authorization: authorizations[0] } }
        : { authorizations }),
    },
  };
}

/** What kind of code a leaf frame is. */
function componentOf(frame) {
  if (/\(\/usr\/bin\/node\)$/.test(frame)) {
    if (
      /^(bn_|BN_|__bn|rsa_|RSA_|ossl_|EVP_|sha\d|SHA\d|fe_|fe51|ge_|x25519|ed25519|cmov|table_select|OPENSSL_|CRYPTO_|ERR_|do_name|EC_|ec_|ecp_|OBJ_|evp_|md_|ASN1|asn1|x86_64_|bn_mul|mont)/.test(
        frame,
      )
    )
      return 'OpenSSL (signature arithmetic, hashes, its bookkeeping)';
    if (
      /^v8::internal::(Heap|Scavenger|ScavengerCollector|MarkCompact|Sweeper|ArrayBufferSweeper|ConcurrentMarking|MinorMark|MemoryAllocator)|Heap::|Scaveng/.test(
        frame,
      )
    )
      return 'V8 garbage collector';
    if (/^v8::internal::compiler|^v8::internal::maglev|Turbofan/.test(frame)) return 'V8 compiler';
    if (/^Builtins_/.test(frame)) return 'V8 builtins (property access, calls, strings)';
    if (/^node::/.test(frame)) return 'Node C++ (HTTP parser, streams, crypto bindings)';
    if (/^llhttp/.test(frame)) return 'Node C++ (HTTP parser, streams, crypto bindings)';
    return 'V8 runtime (other)';
  }
  if (/\[kernel\.kallsyms\]/.test(frame)) return 'kernel (TCP, syscalls, scheduler)';
  if (/libc\.so|libstdc/.test(frame)) return 'libc (malloc, memcpy)';
  if (/better_sqlite3/.test(frame)) return 'SQLite';
  if (frame.startsWith('JS:') || frame.startsWith('RegExp:')) {
    if (/packages\/server\/dist/.test(frame)) return 'JS: m2m-auth server';
    if (/packages\/verifier\/dist/.test(frame)) return 'JS: m2m-auth verifier';
    if (/node_modules\/(pino|sonic-boom)/.test(frame)) return 'JS: pino';
    if (/node_modules\/(fastify|find-my-way|avvio|@fastify|fast-json-stringify)/.test(frame))
      return 'JS: Fastify';
    if (/node_modules\/(express|router|body-parser|finalhandler|send)\//.test(frame))
      return 'JS: Express';
    if (/node_modules\/(fast-jwt|express-oauth2-jwt-bearer|jose)/.test(frame))
      return 'JS: peer verifier';
    if (/node:/.test(frame)) return 'JS: Node core (http, streams, crypto wrappers)';
    return 'JS: other';
  }
  return 'other';
}
