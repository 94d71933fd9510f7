// Where a server's time goes under load: runs one target on the server core, loads it from the
// load core for a bounded time, and prints a profile of the measured window.
//
//   node bench/profile.js <target> [--durationSec 8] [--tokens distinct|repeated]
//     [--variant none|peer|ours|ours-nocache] [--profiler perf|v8] [--keep DIR]
//
//   target: token-rs256 | token-eddsa (m2m-auth serve, defaults) | token-oidc-provider |
//     verify-fastify | verify-express
//   --profiler perf (default where Linux perf exists): on-CPU samples of every thread of the server
//     (main thread, libuv threadpool, V8's GC and compiler threads), native frames included,
//     grouped by component. Sampling CPU time, not wall time, it is little moved by other
//     processes sharing the core.
//   --profiler v8: node --cpu-prof (main thread, wall-clock samples; time the main thread spends
//     preempted or waiting shows up in whatever it was running), hottest functions.
//   --keep DIR: leave the raw profile (perf.data or .cpuprofile) in DIR.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/child.js';
import { startLoadGenerator } from './lib/measure.js';
import { AUDIENCE, prepareStore, SCOPE, startCliServer } from './lib/our-server.js';
import { startPinned } from './lib/processes.js';
import { makeTokens } from './lib/tokens.js';

/**
 * Components, tried on each sample's frames from the leaf up: the first frame that matches one
 * names the component the sample's CPU time goes to.
 */
const COMPONENTS = [
  [
    'OpenSSL arithmetic (signatures, hashes)',
    /\b(__bn_|bn_|BN_|rsa_|RSA_|ossl_|EVP_|ed25519|x25519|fe_mul|fe_sq|ge_|sha\d*_block|SHA\d+_)/,
  ],
  ['OpenSSL arithmetic (signatures, hashes)', /DoThreadPoolWork|SignTraits::DeriveBits/],
  ['V8 optimizing compiler', /OptimizingCompileDispatcher|compiler::Pipeline|Turbofan|Maglev/i],
  ['V8 garbage collector', /Heap::|Scavenge|MarkCompact|Sweeper|ConcurrentMarking|\(garbage/],
  ['SQLite (store revision check)', /kysely|better.sqlite3|sqlite3/],
  ['logging (pino)', /pino|sonic-boom|thread-stream/],
  ['jose (JS)', /jose\/dist/],
  ['oidc-provider and Koa', /node_modules\/(oidc-provider|koa|@koa|koa-compose|quick-lru)\//],
  [
    'node:crypto and WebCrypto bindings (argument checks, job dispatch to the threadpool)',
    /node:internal\/crypto|crypto::CryptoJob|DeriveBitsJob|webcrypto/,
  ],
  ['m2m-auth server (JS)', /packages\/server\/dist/],
  ['m2m-auth verifier (JS)', /packages\/verifier\/dist/],
  ['@fastify/jwt / fast-jwt', /fast-jwt|@fastify\/jwt/],
  ['express-oauth2-jwt-bearer', /express-oauth2-jwt-bearer/],
  ['Fastify', /node_modules\/(fastify|find-my-way|avvio|fast-json-stringify|@fastify)\//],
  ['Express', /node_modules\/(express|router|body-parser|finalhandler|send)\//],
  [
    'Node HTTP, streams, sockets',
    /node:_http|node:net|node:internal\/streams|node:internal\/stream_base|llhttp|Parser::|StreamBase|LibuvStreamWrap|uv__(read|write|stream)|tcp_|sock_/,
  ],
];

const [target, ...rest] = process.argv.slice(2);
const options = parseArgs(rest);
const durationSec = Number(options.durationSec ?? 8);
const hasPerf = spawnSync('perf', ['--version']).status === 0;
const profiler = options.profiler ?? (hasPerf ? 'perf' : 'v8');
const workDir = mkdtempSync(join(tmpdir(), 'm2m-auth-profile-'));
const profileDir = options.keep ?? join(workDir, 'profile');
mkdirSync(profileDir, { recursive: true });
const nodeArgs =
  profiler === 'perf' ? ['--perf-basic-prof'] : ['--cpu-prof', '--cpu-prof-dir', profileDir];

const load = await startLoadGenerator();
let server;
let summary;
try {
  const spec = await startTarget();
  // Warm the JIT before anything is recorded.
  await load.measure({ ...spec, connections: 10, durationSec: 3 }, server.pid);
  const perfData = join(profileDir, 'perf.data');
  const recorder =
    profiler === 'perf'
      ? spawn(
          'perf',
          [
            'record',
            '-e',
            'cpu-clock',
            '-F',
            '1999',
            '-g',
            '-o',
            perfData,
            '-p',
            String(server.pid),
          ],
          { stdio: 'ignore' },
        )
      : undefined;
  const result = await load.measure({ ...spec, connections: 10, durationSec }, server.pid);
  if (recorder !== undefined) {
    recorder.kill('SIGINT');
    await once(recorder, 'exit');
  }
  process.stdout.write(
    `${target}: ${Math.round(result.rps)} requests/s, server CPU ${Math.round(result.serverCpuUsPerRequest)} µs/request, other processes took ${Math.round(result.foreignShare * 100)} % of the core\n\n`,
  );
  if (profiler === 'perf') summary = summarizePerf(perfData, server.pid);
} finally {
  await server?.stop();
  await load.stop();
  if (profiler === 'perf' && server !== undefined)
    rmSync(`/tmp/perf-${server.pid}.map`, { force: true });
}
if (profiler === 'v8') {
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  summary = summarizeCpuProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')));
}
process.stdout.write(summary);
rmSync(workDir, { recursive: true, force: true });

async function startTarget() {
  if (target === 'token-rs256' || target === 'token-eddsa') {
    const prepared = await prepareStore(workDir, 'p', target === 'token-rs256' ? 'RS256' : 'EdDSA');
    server = await startCliServer(prepared, join(workDir, 'serve.log'), nodeArgs);
    return {
      url: `${server.url}/oauth/token`,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${prepared.clientId}:${prepared.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials&audience=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`,
    };
  }
  if (target === 'token-oidc-provider') {
    const { generateKeyPairSync } = await import('node:crypto');
    const config = {
      privateJwk: {
        ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
        alg: 'RS256',
        use: 'sig',
        kid: 'profile',
      },
      clientId: 'profile_client',
      clientSecret: 'profile-secret-profile-secret-profile-secret',
      resource: 'urn:bench:api',
      scope: SCOPE,
    };
    const configPath = join(workDir, 'oidc-provider.json');
    writeFileSync(configPath, JSON.stringify(config));
    server = await startPinned({
      script: fileURLToPath(new URL('./servers/oidc-provider.js', import.meta.url)),
      args: ['--config', configPath],
      nodeArgs,
    });
    return {
      url: `${server.info.url}/token`,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}&resource=${encodeURIComponent(config.resource)}`,
    };
  }
  if (target === 'verify-fastify' || target === 'verify-express') {
    const issuer = 'http://127.0.0.1:8080';
    const { publicKeyPem, tokens } = await makeTokens({
      issuer,
      audience: AUDIENCE,
      scope: SCOPE,
      count: 1000,
    });
    const configPath = join(workDir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ publicKeyPem, issuer, audience: AUDIENCE, scope: SCOPE }),
    );
    const repeated = options.tokens === 'repeated';
    server = await startPinned({
      script: fileURLToPath(new URL(`./servers/${target}.js`, import.meta.url)),
      args: [
        '--variant',
        options.variant ?? (repeated ? 'ours' : 'ours-nocache'),
        '--config',
        configPath,
      ],
      nodeArgs,
    });
    const authorizations = tokens.map((token) => `Bearer ${token}`);
    return {
      url: server.info.url,
      ...(repeated ? { headers: { authorization: authorizations[0] } } : { authorizations }),
    };
  }
  throw new Error(
    'target: token-rs256, token-eddsa, token-oidc-provider, verify-fastify or verify-express',
  );
}

function summarizePerf(perfData, pid) {
  const script = spawnSync('perf', ['script', '-i', perfData, '-F', 'tid,ip,sym,dso'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const byComponent = new Map();
  const byThread = new Map();
  const bySymbol = new Map();
  let total = 0;
  for (const sample of script.stdout.split('\n\n')) {
    const lines = sample.trim().split('\n');
    const tid = lines[0]?.trim().split(/\s+/)[0];
    if (tid === undefined || tid === '') continue;
    const frames = lines.slice(1);
    const [component, frame] = componentOf(frames);
    byComponent.set(component, (byComponent.get(component) ?? 0) + 1);
    const symbols = bySymbol.get(component) ?? new Map();
    const symbol = symbolOf(frame);
    symbols.set(symbol, (symbols.get(symbol) ?? 0) + 1);
    bySymbol.set(component, symbols);
    const thread =
      tid === String(pid)
        ? 'main thread'
        : frames.some((frame) => /DoThreadPoolWork|uv__work|\sworker\s/.test(frame))
          ? 'libuv threadpool'
          : 'V8 background threads';
    byThread.set(thread, (byThread.get(thread) ?? 0) + 1);
    total++;
  }
  const list = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([key, count]) => `${((count / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
      .join('\n');
  const details = [...byComponent]
    .sort((a, b) => b[1] - a[1])
    .map(([component]) => {
      const top = [...bySymbol.get(component)].sort((a, b) => b[1] - a[1]).slice(0, 4);
      return `${component}:\n${top.map(([symbol, count]) => `  ${((count / total) * 100).toFixed(1).padStart(5)} %  ${symbol.slice(0, 150)}`).join('\n')}`;
    })
    .join('\n');
  return `CPU samples: ${total} (perf, cpu-clock, all threads of the server)\n\nby thread:\n${list(byThread)}\n\nby component (innermost matching frame):\n${list(byComponent)}\n\nwhere in each component (the frame that matched):\n${details}\n`;
}

/** The component of the innermost frame (leaf first) that matches one, and that frame. */
function componentOf(frames) {
  for (const frame of frames) {
    const found = COMPONENTS.find(([, pattern]) => pattern.test(frame));
    if (found !== undefined) return [found[0], frame];
  }
  return ['other (event loop, kernel, V8 runtime)', frames[0] ?? ''];
}

/** A frame of `perf script` without its address and offset. */
function symbolOf(frame) {
  return frame
    .trim()
    .replace(/^[0-9a-f]+\s+/, '')
    .replace(/\+0x[0-9a-f]+/, '')
    .replace(/\s+\(\/tmp\/perf-\d+\.map\)$/, '');
}

/** Top self-time functions and the share of each package (main thread, wall clock). */
function summarizeCpuProfile(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map();
  const byPackage = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const where = url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    total += dt;
  });
  const top = (map, count) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, value]) => `${((value / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
      .join('\n');
  return `by package (self time, main thread, wall clock):\n${top(byPackage, 15)}\n\nhottest functions:\n${top(byFunction, 30)}\n`;
}

function packageOf(url, functionName) {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const inModules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (inModules) return inModules[1];
  const ours = url.match(/packages\/([^/]+)\//);
  if (ours) return `@m2m-auth/${ours[1]}`;
  return url.includes('/bench/') ? 'bench' : url;
}
