// Where a server's time goes under load: runs one target with `node --cpu-prof` on the server
// core, loads it from the load core for a bounded time, and prints its hottest functions (self
// time) and the share of each package.
//
//   node bench/profile.js token-rs256|token-eddsa|verify-fastify|verify-express [--durationSec 10]
//     [--tokens distinct|repeated] [--keep DIR]   (--keep: leave the .cpuprofile in DIR)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/child.js';
import { startLoadGenerator } from './lib/measure.js';
import { AUDIENCE, prepareStore, SCOPE, startCliServer } from './lib/our-server.js';
import { startPinned } from './lib/processes.js';
import { makeTokens } from './lib/tokens.js';

const [target, ...rest] = process.argv.slice(2);
const options = parseArgs(rest);
const durationSec = Number(options.durationSec ?? 10);
const workDir = mkdtempSync(join(tmpdir(), 'm2m-auth-profile-'));
const profileDir = options.keep ?? join(workDir, 'profile');
const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profileDir];
const load = await startLoadGenerator();
let server;
try {
  let spec;
  if (target === 'token-rs256' || target === 'token-eddsa') {
    const prepared = await prepareStore(workDir, 'p', target === 'token-rs256' ? 'RS256' : 'EdDSA');
    server = await startCliServer(prepared, join(workDir, 'serve.log'), nodeArgs);
    spec = {
      url: `${server.url}/oauth/token`,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${prepared.clientId}:${prepared.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials&audience=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`,
    };
  } else if (target === 'verify-fastify' || target === 'verify-express') {
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
    spec = {
      url: server.info.url,
      ...(repeated ? { headers: { authorization: authorizations[0] } } : { authorizations }),
    };
  } else {
    throw new Error('target: token-rs256, token-eddsa, verify-fastify or verify-express');
  }
  const result = await load.measure(
    { ...spec, connections: 10, durationSec, warmupSec: 1 },
    server.pid,
  );
  process.stdout.write(
    `${target}: ${Math.round(result.rps)} requests/s, server CPU ${Math.round(result.serverCpuUsPerRequest)} µs/request\n\n`,
  );
} finally {
  await server?.stop();
  await load.stop();
}
const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
process.stdout.write(summarize(JSON.parse(readFileSync(join(profileDir, file), 'utf8'))));
if (options.keep === undefined) rmSync(workDir, { recursive: true, force: true });

/** Top self-time functions and the share of each package (main thread only). */
function summarize(profile) {
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
  return `by package (self time, main thread):\n${top(byPackage, 15)}\n\nhottest functions:\n${top(byFunction, 30)}\n`;
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
