// Row 3: the client. Token requests the server receives while 100 concurrent callers make
// 10,000 calls with one token client (goal: exactly 1), and what client.fetch adds per call over
// plain fetch against a small local HTTP server.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TOKEN_TTL_SEC } from '@m2m-auth/server/clients';
import { AUDIENCE, prepareStore, SCOPE } from '../lib/our-server.js';
import { LOAD_CORE, runPinned, startPinned } from '../lib/processes.js';

const script = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Runs row 3.
 *
 * @param plan - `{ clientCalls, clientConcurrency, clientSec, passes }`.
 * @param context - `{ workDir, say }`.
 * @returns `{ burst, burstTokenRequests, latency, latencyTokenRequests, tokenTtlSec, … }`.
 */
export async function runClientRow(plan, { workDir, say }) {
  const prepared = await prepareStore(workDir, 'client', 'RS256');
  const servers = {};
  try {
    servers.auth = await startPinned({
      script: script('../servers/counting-auth.js'),
      args: ['--database', prepared.databaseUrl],
      env: { M2M_AUTH_KEK: prepared.kek },
    });
    servers.resource = await startPinned({ script: script('../servers/resource.js') });
    const configPath = join(workDir, 'client.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        tokenUrl: `${servers.auth.info.url}/oauth/token`,
        clientId: prepared.clientId,
        clientSecret: prepared.clientSecret,
        audience: AUDIENCE,
        scope: SCOPE,
        resourceUrl: servers.resource.info.url,
        calls: plan.clientCalls,
        concurrency: plan.clientConcurrency,
        durationSec: plan.clientSec,
        passes: plan.passes,
      }),
    );
    const count = async () => (await servers.auth.request({ type: 'count' })).tokenRequests;
    const caller = (phase, timeoutSec) =>
      runPinned({
        core: LOAD_CORE,
        script: script('../callers/client-calls.js'),
        args: ['--phase', phase, '--config', configPath],
        timeoutMs: timeoutSec * 1000,
      });

    say(`client: ${plan.clientCalls} calls from ${plan.clientConcurrency} concurrent callers`);
    const burst = await caller('burst', 120);
    const burstTokenRequests = await count();
    say('client: added latency of client.fetch over fetch');
    const latency = await caller('latency', plan.clientSec * 4 * (plan.passes + 1) + 60);
    const latencyTokenRequests = (await count()) - burstTokenRequests;
    return {
      burst,
      concurrency: plan.clientConcurrency,
      burstTokenRequests,
      latency,
      latencyTokenRequests,
      // The client has the default token lifetime: the burst must end well inside it for "one
      // token per lifetime" to mean anything.
      tokenTtlSec: DEFAULT_TOKEN_TTL_SEC,
    };
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
}
