// Row 2: verification. The same GET route on Fastify and on Express, unprotected, protected by a
// peer (@fastify/jwt, express-oauth2-jwt-bearer) and by our middleware, all verifying the same
// RS256 tokens with the same public key; once rotating through distinct tokens, once repeating
// one token; plus raw verification rates on one core.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForQuietCore } from '../lib/measure.js';
import { AUDIENCE, prepareStore, SCOPE, startCliServer } from '../lib/our-server.js';
import { LOAD_CORE, runPinned, SERVER_CORE, startPinned } from '../lib/processes.js';
import { makeTokens } from '../lib/tokens.js';

const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const ISSUER = 'http://127.0.0.1:8080';

export const FRAMEWORKS = [
  { key: 'fastify', label: 'Fastify 5', peer: '@fastify/jwt 10' },
  { key: 'express', label: 'Express 5', peer: 'express-oauth2-jwt-bearer 1.10' },
];

/**
 * The two modes. Distinct tokens: our verifier runs with `tokenCache: false`, because requests
 * from several connections cycling through the same list would otherwise hit the cache and
 * measure it instead of verification. Repeated token: our default configuration (cache on).
 * The peers run with their defaults (neither caches by default) in both.
 */
export const MODES = [
  { key: 'distinct', label: 'distinct tokens', ours: 'ours-nocache' },
  { key: 'repeated', label: 'one token repeated', ours: 'ours', feed: true },
];

/** Clients revoked in the feed server's store: the feed the verifiers poll is not empty. */
const REVOKED_CLIENTS = 5;

/**
 * Runs row 2.
 *
 * @param plan - `{ durationSec, warmupSec, rewarmSec, passes, microSec, connections, distinctTokens }`.
 * @param context - `{ workDir, say, load }` (`load`: the load generator).
 * @returns `{ passes: [{ distinct: { fastify: { none, peer, ours } … }, repeated: { fastify:
 *   { none, peer, ours, oursFeed } … }, micro }],
 *   distinctTokens, cacheMemory: { on: [figures], off: [figures] } }` (bench/micro/cache-memory.js).
 */
export async function runVerificationRow(plan, { workDir, say, load }) {
  // The revocation feed: a real `m2m-auth serve` (same issuer as the tokens) whose store has
  // revoked clients; the `ours-feed` verifiers poll its /revocations at the default interval.
  // On the load core: its few polls must not count as other processes on the server core.
  // Started while the tokens are made.
  const startingFeed = prepareStore(workDir, 'feed', 'EdDSA', {
    revokedClients: REVOKED_CLIENTS,
  }).then((feedStore) =>
    startCliServer(feedStore, join(workDir, 'feed-serve.log'), [], {
      args: ['--issuer', ISSUER],
      core: LOAD_CORE,
    }),
  );
  // Stopped however the row ends, once it has started.
  startingFeed.catch(() => {});
  const servers = {};
  let feedServer;
  try {
    const { publicKeyPem, tokens } = await makeTokens({
      issuer: ISSUER,
      audience: AUDIENCE,
      scope: SCOPE,
      count: plan.distinctTokens,
    });
    feedServer = await startingFeed;
    const revocationsUri = `${feedServer.url}/revocations`;
    const configPath = join(workDir, 'verification.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        publicKeyPem,
        issuer: ISSUER,
        audience: AUDIENCE,
        scope: SCOPE,
        tokens,
        revocationsUri,
        revokedClients: REVOKED_CLIENTS,
      }),
    );
    const authorizations = tokens.map((token) => `Bearer ${token}`);

    // Started together (the start-ups are not measured); each is kept for stop() even when
    // another fails to start.
    const starting = [];
    for (const { key: framework } of FRAMEWORKS) {
      for (const variant of ['none', 'peer', 'ours', 'ours-nocache', 'ours-feed']) {
        const name = `${framework}/${variant}`;
        starting.push(
          startPinned({
            script: script(`../servers/verify-${framework}.js`),
            args: ['--variant', variant, '--config', configPath],
          }).then(async (server) => {
            servers[name] = server;
            await checkProtection(name, server.info.url, authorizations[0]);
          }),
        );
      }
    }
    await Promise.all(starting);

    const warmed = new Set();
    const passes = [];
    for (let pass = 0; pass < plan.passes; pass++) {
      await waitForQuietCore({ maxWaitSec: plan.quietWaitSec });
      const figures = {};
      for (const mode of MODES) {
        figures[mode.key] = {};
        for (const { key: framework, label } of FRAMEWORKS) {
          const results = {};
          const roles = [
            ['none', 'none'],
            ['peer', 'peer'],
            ['ours', mode.ours],
            // Next to `ours`, so that drift within a pass hits feed on and off alike; then the pair
            // again in the opposite order (off, on, on, off), which cancels a drift along the pass
            // and doubles the samples of a comparison whose goal (2 %) is smaller than one load's
            // noise.
            ...(mode.feed
              ? [
                  ['oursFeed', 'ours-feed'],
                  ['oursFeedB', 'ours-feed'],
                  ['oursB', mode.ours],
                ]
              : []),
          ];
          // Odd passes run in reverse order, so that load drifting within a pass favours no one.
          for (const [role, variant] of pass % 2 === 0 ? roles : roles.reverse()) {
            const name = `${framework}/${variant}`;
            say(`verification, pass ${pass + 1}, ${mode.label}: ${label} ${variant}`);
            const server = servers[name];
            results[role] = await load.measure(
              {
                url: server.info.url,
                ...(mode.key === 'distinct'
                  ? { authorizations }
                  : { headers: { authorization: authorizations[0] } }),
                connections: plan.connections,
                durationSec: plan.durationSec,
                warmupSec: warmed.has(name) ? plan.rewarmSec : plan.warmupSec,
              },
              server.pid,
            );
            warmed.add(name);
          }
          figures[mode.key][framework] = results;
        }
      }
      say(`verification, pass ${pass + 1}: raw verification rates`);
      figures.micro = await runPinned({
        core: SERVER_CORE,
        script: script('../micro/verify-ops.js'),
        args: ['--durationSec', String(plan.microSec), '--config', configPath],
        timeoutMs: (plan.microSec * 4 + 30) * 1000,
      });
      passes.push(figures);
    }
    say('verification: memory of the verified-token cache');
    const cacheMemory = { on: [], off: [] };
    for (let run = 0; run < (plan.memoryRuns ?? 1); run++) {
      for (const cache of ['on', 'off']) {
        cacheMemory[cache].push(
          await runPinned({
            core: SERVER_CORE,
            // A fixed young generation: V8 otherwise grows it with the allocation rate, and the
            // pages it touches doing so swamp a 1 MB difference in the resident set.
            nodeArgs: ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'],
            script: script('../micro/cache-memory.js'),
            args: ['--config', configPath, '--cache', cache],
            timeoutMs: 60_000,
          }),
        );
      }
    }
    return { passes, distinctTokens: tokens.length, cacheMemory };
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    await (feedServer ?? (await startingFeed.catch(() => undefined)))?.stop();
  }
}

/** Before any load: a valid token passes; a protected route refuses a missing or altered one. */
async function checkProtection(name, url, authorization) {
  const ok = await fetch(url, { headers: { authorization } });
  if (ok.status !== 200) throw new Error(`${name}: a valid token got ${ok.status}`);
  if (name.endsWith('/none')) return;
  const missing = await fetch(url);
  const altered = await fetch(url, {
    headers: { authorization: `${authorization.slice(0, -4)}AAAA` },
  });
  if (missing.status !== 401 || altered.status !== 401) {
    throw new Error(`${name}: expected 401s, got ${missing.status} and ${altered.status}`);
  }
}
