// Row 1: the token endpoint. Our server (`m2m-auth serve`, RS256 and EdDSA keys) next to
// oidc-provider 9 (RS256 JWT access tokens), a bare Fastify POST route (the HTTP ceiling) and
// node:crypto's single-core signing rate (the crypto ceiling).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForQuietCore } from '../lib/measure.js';
import { AUDIENCE, countLogLines, prepareStore, SCOPE, startCliServer } from '../lib/our-server.js';
import { runPinned, SERVER_CORE, startPinned } from '../lib/processes.js';

const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const FORM = 'application/x-www-form-urlencoded';
const OIDC_RESOURCE = 'urn:bench:api';

/** The targets, in the order of even passes (peer, ours, peer, ours); odd passes reverse it. */
export const TOKEN_TARGETS = [
  { key: 'oidcProvider', label: 'oidc-provider 9, RS256 (peer)' },
  { key: 'oursRs256', label: 'm2m-auth serve, RS256' },
  { key: 'bareFastify', label: 'bare Fastify POST route (HTTP ceiling)' },
  { key: 'oursEdDSA', label: 'm2m-auth serve, EdDSA' },
  // The issue's floor measured inside a server: the bare route plus one node:crypto signature per
  // request (servers/token-ladder.js `bare-sign`). Context for the targets, which keep their
  // definition (the signature's cost taken from the synchronous loop).
  { key: 'bareSignRs256', label: 'bare Fastify POST route + one node:crypto RS256 signature' },
  { key: 'bareSignEdDSA', label: 'bare Fastify POST route + one node:crypto Ed25519 signature' },
];

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * Runs row 1.
 *
 * @param plan - `{ durationSec, warmupSec, rewarmSec, passes, microSec, connections }`.
 * @param context - `{ workDir, say, load }` (`load`: the load generator).
 * @returns `{ passes: [{ oidcProvider, oursRs256, bareFastify, oursEdDSA, ceiling }], logging }`.
 */
export async function runTokenEndpointRow(plan, { workDir, say, load }) {
  const rs256 = await prepareStore(workDir, 'rs256', 'RS256');
  const eddsa = await prepareStore(workDir, 'eddsa', 'EdDSA');
  const oidc = {
    privateJwk: {
      ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
      alg: 'RS256',
      use: 'sig',
      kid: 'bench-oidc-provider',
    },
    clientId: 'bench_oidc_client',
    clientSecret: randomBytes(32).toString('base64url'),
    resource: OIDC_RESOURCE,
    scope: SCOPE,
  };
  const oidcConfigPath = join(workDir, 'oidc-provider.json');
  writeFileSync(oidcConfigPath, JSON.stringify(oidc));

  const logs = {
    oursRs256: join(workDir, 'serve-rs256.log'),
    oursEdDSA: join(workDir, 'serve-eddsa.log'),
  };
  const servers = {};
  try {
    // Started together (the start-ups are not measured); each is kept for stop() even when
    // another fails to start.
    await Promise.all([
      startPinned({
        script: script('../servers/oidc-provider.js'),
        args: ['--config', oidcConfigPath],
      }).then((server) => {
        servers.oidcProvider = server;
      }),
      startCliServer(rs256, logs.oursRs256).then((server) => {
        servers.oursRs256 = server;
      }),
      startPinned({ script: script('../servers/bare-fastify.js') }).then((server) => {
        servers.bareFastify = server;
      }),
      // One process for both algorithms (a route each): one start-up less for --quick.
      startPinned({
        script: script('../servers/token-ladder.js'),
        args: ['--variant', 'bare-sign', '--alg', 'both'],
      }).then((server) => {
        servers.bareSignRs256 = server;
        servers.bareSignEdDSA = server;
      }),
      startCliServer(eddsa, logs.oursEdDSA).then((server) => {
        servers.oursEdDSA = server;
      }),
    ]);

    const ourBody = `grant_type=client_credentials&audience=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`;
    const specs = {
      oidcProvider: {
        url: `${servers.oidcProvider.info.url}/token`,
        headers: { authorization: basic(oidc.clientId, oidc.clientSecret), 'content-type': FORM },
        body: `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}&resource=${encodeURIComponent(OIDC_RESOURCE)}`,
        alg: 'RS256',
      },
      oursRs256: {
        url: `${servers.oursRs256.url}/oauth/token`,
        headers: { authorization: basic(rs256.clientId, rs256.clientSecret), 'content-type': FORM },
        body: ourBody,
        alg: 'RS256',
      },
      bareFastify: {
        url: `${servers.bareFastify.info.url}/oauth/token`,
        headers: { authorization: basic(rs256.clientId, rs256.clientSecret), 'content-type': FORM },
        body: ourBody,
      },
      bareSignRs256: {
        url: `${servers.bareSignRs256.info.url}/RS256/oauth/token`,
        headers: { authorization: basic(rs256.clientId, rs256.clientSecret), 'content-type': FORM },
        body: ourBody,
        alg: 'RS256',
      },
      bareSignEdDSA: {
        url: `${servers.bareSignEdDSA.info.url}/EdDSA/oauth/token`,
        headers: { authorization: basic(eddsa.clientId, eddsa.clientSecret), 'content-type': FORM },
        body: ourBody,
        alg: 'EdDSA',
      },
      oursEdDSA: {
        url: `${servers.oursEdDSA.url}/oauth/token`,
        headers: { authorization: basic(eddsa.clientId, eddsa.clientSecret), 'content-type': FORM },
        body: ourBody,
        alg: 'EdDSA',
      },
    };
    for (const [key, spec] of Object.entries(specs)) await checkTokenResponse(key, spec);
    const linesAtStart = {
      oursRs256: countLogLines(logs.oursRs256),
      oursEdDSA: countLogLines(logs.oursEdDSA),
    };

    const passes = [];
    for (let pass = 0; pass < plan.passes; pass++) {
      await waitForQuietCore({ maxWaitSec: plan.quietWaitSec });
      const figures = {};
      // Odd passes run in reverse order, so that load drifting within a pass favours no one.
      const order = pass % 2 === 0 ? TOKEN_TARGETS : [...TOKEN_TARGETS].reverse();
      for (const { key, label } of order) {
        say(`token endpoint, pass ${pass + 1}: ${label}`);
        const { alg: _alg, ...spec } = specs[key];
        figures[key] = await load.measure(
          {
            ...spec,
            method: 'POST',
            connections: plan.connections,
            durationSec: plan.durationSec,
            warmupSec: pass === 0 ? plan.warmupSec : plan.rewarmSec,
          },
          servers[key].pid,
        );
      }
      say(`token endpoint, pass ${pass + 1}: node:crypto signing ceiling`);
      figures.ceiling = await runPinned({
        core: SERVER_CORE,
        script: script('../micro/sign-ops.js'),
        args: ['--durationSec', String(plan.microSec)],
        timeoutMs: (plan.microSec * 4 + 30) * 1000,
      });
      passes.push(figures);
    }

    const logging = {};
    for (const key of ['oursRs256', 'oursEdDSA']) {
      const tokens = passes.reduce(
        (sum, figures) => sum + figures[key].ok + figures[key].warmupOk,
        0,
      );
      logging[key] = {
        lines: countLogLines(logs[key]) - linesAtStart[key],
        tokens,
      };
    }
    return { passes, logging };
  } finally {
    await Promise.all([...new Set(Object.values(servers))].map((server) => server.stop()));
  }
}

/** One request before any load: the target must answer 200 with a token signed with `alg`. */
async function checkTokenResponse(key, spec) {
  const response = await fetch(spec.url, {
    method: 'POST',
    headers: spec.headers,
    body: spec.body,
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${key}: token request answered ${response.status}: ${text}`);
  if (spec.alg === undefined) return;
  const token = JSON.parse(text).access_token;
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
  if (header.alg !== spec.alg || header.typ !== 'at+jwt') {
    throw new Error(`${key}: expected an ${spec.alg} at+jwt token, got ${JSON.stringify(header)}`);
  }
}
