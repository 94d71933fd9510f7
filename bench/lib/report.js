// RESULTS.md: tables of one run, the machine, the versions, the targets.

import { TOKEN_TARGETS } from '../rows/token-endpoint.js';
import { FRAMEWORKS, MODES } from '../rows/verification.js';
import { median } from './stats.js';

const n0 = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—');
const n1 = (value) => (Number.isFinite(value) ? value.toFixed(1) : '—');
const ratio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—');
const percent = (value) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)} %` : '—');
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
/** "a / b → median" for the per-pass values of one figure. */
const passes = (values, format) =>
  values.length === 1
    ? format(values[0])
    : `${values.map(format).join(' / ')} → **${format(median(values))}**`;

/** Operations per second and CPU µs per operation of micro-benchmark passes. */
const opsTable = (passesOfOps, operations) =>
  table(
    ['operation', 'per second', 'CPU µs/operation'],
    operations.map(([key, label]) => [
      label,
      passes(
        passesOfOps.map((ops) => ops[key].perSec),
        n0,
      ),
      passes(
        passesOfOps.map((ops) => ops[key].cpuUs),
        n1,
      ),
    ]),
  );

/**
 * Renders the whole report.
 *
 * @param run - `{ date, mode, plan, machine, rows, derived, analysis, durationSec }`.
 */
export function renderReport(run) {
  const { plan, machine, derived } = run;
  const rows = run.usable;
  const out = [];
  out.push(
    '# m2m-auth benchmarks',
    '',
    `Measured by ${run.mode === 'quick' ? '`npm run bench -- --quick` (smoke check: short loads, one pass; not for comparisons)' : '`npm run bench`'} on ${run.date}, commit ${machine.commit}, in ${Math.round(run.durationSec)} s. Every comparison below is between figures taken in the same run, interleaved (peer, ours, peer, ours; odd passes in reverse order) over ${plan.passes} pass${plan.passes > 1 ? 'es' : ''}; a cell "a / b → **m**" gives each pass and their median. These machines are shared and noisy: read ratios and added microseconds, not lone absolute numbers.`,
    '',
    '## Targets',
    '',
    "Judged, as the issue defines them, on the server's CPU time per request (all its threads, from /proc: what a whole core would give), which other processes sharing the core move far less than requests/s; medians over passes, each ratio taken within its pass. The last two columns make the same comparison with requests per second (wall-clock µs per request), shown beside it, not judged; for the cache, the V8 heap beside the resident set.",
    '',
    table(
      ['target', 'goal', 'by server CPU time: median (passes)', 'met', 'by requests/s', 'met'],
      derived.targets.map((t) => [
        t.name,
        t.goal,
        t.figure,
        t.met ? 'yes' : '**no**',
        t.altFigure,
        t.altMet ? 'yes' : '**no**',
      ]),
    ),
    '',
    '## Machine and method',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores; memory ${machine.memoryGiB.toFixed(1)} GiB; ${machine.os}; Node.js ${machine.node}.`,
    `- Load average when the run started: ${machine.loadAverage.map((v) => v.toFixed(2)).join(', ')}. Other processes share these cores: ${run.foreignLoad === undefined ? 'how much they took of core 0 could not be read' : `during the measurements they took on average ${percent(run.foreignLoad.mean)} of core 0 (at worst ${percent(run.foreignLoad.max)}), read from /proc/stat`}. That is why every figure is given per pass and compared within its pass, and why targets are judged on the median.`,
    machine.taskset
      ? '- Every server process runs under `taskset -c 0`, every load generator and caller under `taskset -c 1`; node:crypto and jose ceilings run on core 0 too. Loopback only.'
      : '- **taskset was not found: nothing was pinned.** Loopback only.',
    `- Load: autocannon, ${plan.connections} keep-alive connections, ${plan.durationSec} s per measurement after a ${plan.warmupSec} s warm-up of each server (${plan.rewarmSec ?? 0} s before each later measurement); a load with any error or non-2xx answer aborts the run. The generator's own CPU use is recorded (at most ${percent(run.maxGeneratorCpu)} of its core).`,
    "- Added µs per request = 1e6/rps(protected) − 1e6/rps(unprotected). Server CPU µs per request: the server process's CPU time (all threads, from /proc) over the measured load divided by its requests; it is far less moved by other processes than requests/s.",
    `- A measurement during which other processes took more than ${percent(run.spoiledShare)} of core 0 is shown as "—" and left out of every median and ratio (the \`--json\` output keeps it).`,
    ...generatorBound(run.rows),
    '- All server processes run with `NODE_ENV=production`.',
    '',
    table(
      ['package', 'version'],
      Object.entries(machine.packages).map(([name, version]) => [name, version]),
    ),
    '',
  );

  // Row 1.
  const token = rows.tokenEndpoint;
  const t = derived.tokenEndpoint;
  const values = (key, pick) => token.passes.map((p) => pick(p[key]));
  const logLines = token.logging.oursRs256.lines + token.logging.oursEdDSA.lines;
  const logTokens = token.logging.oursRs256.tokens + token.logging.oursEdDSA.tokens;
  out.push(
    '## 1. Token endpoint',
    '',
    '`POST /oauth/token`, `grant_type=client_credentials` with `client_secret_basic` (HTTP Basic), form body, one new signed JWT access token per request.',
    '',
    table(
      ['server', 'tokens/s', 'p50 latency ms', 'p99 latency ms', 'server CPU µs/token'],
      // Runs saved before a target existed (--render) leave it out.
      TOKEN_TARGETS.filter(({ key }) => token.passes.every((p) => p[key] !== undefined)).map(
        ({ key, label }) => [
          label,
          passes(
            values(key, (f) => f.rps),
            n0,
          ),
          passes(
            values(key, (f) => f.latencyMs.p50),
            n1,
          ),
          passes(
            values(key, (f) => f.latencyMs.p99),
            n1,
          ),
          passes(
            values(key, (f) => f.serverCpuUsPerRequest),
            n0,
          ),
        ],
      ),
    ),
    '',
    'Single-core ceilings (core 0, one process): node:crypto signing in a synchronous loop (what our server calls), and jose `SignJWT` (WebCrypto, what it called before, and what oidc-provider calls) with 10 signatures in flight. CPU µs per operation counts every thread of the process.',
    '',
    opsTable(
      token.passes.map((p) => p.ceiling),
      [
        ['rs256', 'node:crypto sign, RS256 (RSA 2048): crypto ceiling'],
        ['ed25519', 'node:crypto sign, Ed25519: crypto ceiling'],
        ['joseRs256', 'jose SignJWT, RS256'],
        ['joseEd25519', 'jose SignJWT, EdDSA'],
      ],
    ),
    '',
    table(
      ['ratio (same pass)', 'value'],
      [
        ['ours RS256 / oidc-provider RS256', passes(t.rs256VsOidc.values, ratio)],
        ['ours RS256 / RS256 signing ceiling', passes(t.rs256VsCeiling.values, percent)],
        ['ours EdDSA / oidc-provider RS256', passes(t.eddsaVsOidc.values, ratio)],
        ['ours EdDSA / Ed25519 signing ceiling', passes(t.eddsaVsCeiling.values, percent)],
        ['ours RS256 / bare Fastify route', passes(t.rs256VsBare.values, percent)],
        [
          'server CPU µs/token, RS256, beyond bare Fastify + one node:crypto signature',
          passes(t.rs256CpuRest.values, n0),
        ],
        [
          'server CPU µs/token, EdDSA, beyond bare Fastify + one node:crypto signature',
          passes(t.eddsaCpuRest.values, n0),
        ],
        [
          'CPU: ours RS256 / (bare Fastify + node:crypto RS256 signature) (goal ≤ 1.10×)',
          passes(t.rs256VsFloor.values, ratio),
        ],
        [
          'CPU: ours EdDSA / (bare Fastify + node:crypto Ed25519 signature) (goal ≤ 1.60×)',
          passes(t.eddsaVsFloor.values, ratio),
        ],
        [
          'CPU: bare Fastify route signing one RS256 token per request / (bare Fastify + node:crypto RS256 signature in a loop)',
          passes(t.bareSignRs256VsFloor.values, ratio),
        ],
        [
          'CPU: bare Fastify route signing one Ed25519 token per request / (bare Fastify + node:crypto Ed25519 signature in a loop)',
          passes(t.bareSignEdDSAVsFloor.values, ratio),
        ],
        [
          'CPU: ours RS256 / bare Fastify route signing one RS256 token per request',
          passes(t.rs256VsBareSign.values, ratio),
        ],
        [
          'CPU: ours EdDSA / bare Fastify route signing one Ed25519 token per request',
          passes(t.eddsaVsBareSign.values, ratio),
        ],
        [
          'server CPU µs/token, RS256, beyond the bare route signing one token per request',
          passes(t.rs256CpuBeyondBareSign.values, n0),
        ],
        [
          'server CPU µs/token, EdDSA, beyond the bare route signing one token per request',
          passes(t.eddsaCpuBeyondBareSign.values, n0),
        ],
      ],
    ),
    '',
    'The targets take the signature\'s cost from node:crypto in a synchronous loop. The two "bare Fastify POST route + one signature" servers sign one token per request inside the bare route (no authentication, store, logging or hooks): they show what that signature costs between HTTP requests, hence the lowest ratio any server that signs per request could reach in that pass; "beyond the bare route signing" is what all of our own code costs per token.',
    '',
    `Logging: our server ran as \`m2m-auth serve\` with its defaults (pino at \`--log-level info\`, JSON lines on stdout, here into a file), the configuration a deployment gets. During the measured loads it wrote ${n0(logLines)} log lines while issuing ${n0(logTokens)} tokens: ${(logLines / logTokens).toFixed(2)} per token (the audit line of each issued token).`,
    '',
  );

  // Row 2.
  const verification = rows.verification;
  out.push(
    '## 2. Verification',
    '',
    `\`GET\` of one route answering \`{"ok":true}\`, with \`Authorization: Bearer <RS256 at+jwt>\` (RSA 2048, same public key for everyone; the route requires scope \`bench:read\`). "distinct": requests cycle through ${verification.distinctTokens} distinct tokens; our verifier then runs with \`tokenCache: false\` so that every request is a full verification (with several connections walking the same list, a cache would otherwise serve repeats). "repeated": every request carries the same token, our verifier with its defaults (verified-token cache on). Peers at their defaults (neither caches), plus the same scope check.`,
    '',
  );
  for (const mode of MODES) {
    out.push(`### ${mode.key === 'distinct' ? 'Distinct tokens' : 'One token repeated'}`, '');
    const rowsOut = [];
    for (const { key, label, peer } of FRAMEWORKS) {
      const figures = verification.passes.map((p) => p[mode.key][key]);
      const d = derived.verification[mode.key][key];
      rowsOut.push(
        [
          `${label}, unprotected`,
          passes(
            figures.map((f) => f.none.rps),
            n0,
          ),
          '—',
          '—',
          passes(
            figures.map((f) => f.none.serverCpuUsPerRequest),
            n0,
          ),
        ],
        [
          `${label}, ${peer}`,
          passes(
            figures.map((f) => f.peer.rps),
            n0,
          ),
          passes(d.peerAddedUs.values, n0),
          passes(d.peerVsNone.values, percent),
          passes(
            figures.map((f) => f.peer.serverCpuUsPerRequest),
            n0,
          ),
        ],
        [
          `${label}, **@m2m-auth/verifier**${mode.key === 'distinct' ? ' (cache off)' : ''}`,
          passes(
            figures.map((f) => f.ours.rps),
            n0,
          ),
          passes(d.oursAddedUs.values, n0),
          passes(d.oursVsNone.values, percent),
          passes(
            figures.map((f) => f.ours.serverCpuUsPerRequest),
            n0,
          ),
        ],
      );
      if (mode.feed && figures.every((f) => f.oursFeed !== undefined)) {
        rowsOut.push([
          `${label}, **@m2m-auth/verifier**, revocation feed on`,
          passes(
            figures.map((f) => f.oursFeed.rps),
            n0,
          ),
          passes(d.feedOverNoneUs.values, n0),
          passes(d.feedVsNone.values, percent),
          passes(
            figures.map((f) => f.oursFeed.serverCpuUsPerRequest),
            n0,
          ),
        ]);
      }
    }
    out.push(
      table(
        [
          'route',
          'requests/s',
          'added µs/request',
          'share of unprotected',
          'server CPU µs/request',
        ],
        rowsOut,
      ),
      '',
    );
    if (mode.feed && verification.passes.every((p) => p.repeated.fastify.oursFeed !== undefined)) {
      const feedRows = FRAMEWORKS.map(({ key, label }) => {
        const r = derived.verification.repeated[key];
        return [
          label,
          passes(r.feedCpuVsOff.values, percent),
          passes(r.feedCpuAddedUs.values, (v) => v.toFixed(1)),
          passes(r.feedVsOff.values, percent),
        ];
      });
      out.push(
        'Revocation feed on against off: "feed on" is the same verifier (cache on) with `revocationsUri` pointing at a real `m2m-auth serve` (same issuer, a few revoked clients in its store, on the load core) and the default poll interval, so each request also runs the feed\'s lookups (client and `jti`, both misses). Measured next to the feed-off server in every pass; the ratio is requests a core serves with the feed on over off (goal ≥ 98 %).',
        '',
        table(
          [
            'framework',
            'feed on / off, by server CPU',
            'server CPU µs the feed adds per request',
            'feed on / off, by requests/s',
          ],
          feedRows,
        ),
        '',
      );
    }
  }
  const micro = verification.passes.map((p) => p.micro);
  out.push(
    'Raw verification on one core (core 0): node:crypto in a synchronous loop; the others with 10 calls in flight. CPU µs per operation counts every thread of the process.',
    '',
    opsTable(micro, [
      ['cryptoVerify', 'node:crypto verify, RS256 (what our verifier calls)'],
      ['joseJwtVerify', 'jose.jwtVerify (iss, aud, typ checked; WebCrypto)'],
      ['oursVerifyDistinct', 'our verifier.verify, distinct tokens, cache off'],
      ['oursVerifyCached', 'our verifier.verify, one token, cache on'],
    ]),
    '',
  );

  out.push(...josePathSection(derived.josePath), '');
  out.push(...memorySection(derived.memory), '');

  // Row 3.
  const client = rows.client;
  const c = derived.client;
  const lat = client.latency.passes;
  out.push(
    '## 3. Client',
    '',
    `- ${n0(client.burst.calls)} calls of \`client.fetch\` from ${plan.clientConcurrency} concurrent callers, all starting with an empty cache, took ${client.burst.elapsedSec.toFixed(2)} s (token lifetime ${client.tokenTtlSec} s); ${client.burst.failed} failed. **Token requests counted at the server: ${client.burstTokenRequests}** (goal: exactly 1).`,
    `- A second process (${lat.length} pass${lat.length > 1 ? 'es' : ''} of the latency comparison below) made ${client.latencyTokenRequests} token request(s).`,
    '',
    `Against a small local HTTP server (node:http, \`{"ok":true}\`, core 0), caller on core 1; plain \`fetch\`, \`fetch\` with the same \`Authorization: Bearer …\` header made by hand, and \`client.fetch\`, interleaved, ${plan.clientSec} s each. The middle column separates what the client adds from what carrying a bearer token costs (undici's header handling, a 700-byte header to send and parse). With ${plan.clientConcurrency} callers the caller's core is the bottleneck, so the added µs there are the caller's CPU per call.`,
    '',
    table(
      [
        '',
        'plain fetch',
        'fetch + same header',
        'client.fetch',
        'client.fetch − plain',
        'client.fetch − fetch + header',
      ],
      [
        latencyRow(
          'one caller, mean µs/call',
          lat,
          (f) => f.meanUs,
          c.sequentialAddedUs,
          c.sequentialOverHeaderUs,
          'sequential',
        ),
        latencyRow(
          'one caller, p50 µs/call',
          lat,
          (f) => f.p50Us,
          c.sequentialP50AddedUs,
          c.sequentialP50OverHeaderUs,
          'sequential',
        ),
        latencyRow(
          `${plan.clientConcurrency} callers, calls/s`,
          lat,
          (f) => f.callsPerSec,
          c.concurrentAddedUs,
          c.concurrentOverHeaderUs,
          'concurrent',
        ),
      ],
    ),
    '',
  );

  if (run.analysis) out.push(run.analysis.trim(), '');
  return `${out.join('\n')}\n`;
}

/** What the node:crypto path saves over jose's, and what the token path costs besides. */
function josePathSection(j) {
  return [
    "### node:crypto against jose's WebCrypto path (same passes, CPU µs)",
    '',
    "Our server signs and our verifier verifies with node:crypto's synchronous `sign`/`verify` on `KeyObject`s (jose imports the keys). jose 6 calls only `crypto.subtle`, which Node runs as a libuv threadpool job: the first rows are what that path costs per operation beyond node:crypto's, from the ceiling tables of the same pass — what the switch saves. The others are what our code costs besides the cryptography.",
    '',
    table(
      ['figure', 'value'],
      [
        [
          'jose RS256 signature beyond node:crypto’s, CPU µs',
          passes(j.rs256SignExtraUs.values, n0),
        ],
        [
          'jose Ed25519 signature beyond node:crypto’s, CPU µs',
          passes(j.eddsaSignExtraUs.values, n0),
        ],
        ['jose.jwtVerify beyond node:crypto verify, CPU µs', passes(j.verifyExtraUs.values, n0)],
        [
          'token endpoint RS256: server CPU µs per token beyond bare Fastify + node:crypto signature',
          passes(j.rs256RestUs.values, n0),
        ],
        [
          'token endpoint EdDSA: server CPU µs per token beyond bare Fastify + node:crypto signature',
          passes(j.eddsaRestUs.values, n0),
        ],
        ['… a bare Fastify POST route alone', passes(j.bareFastifyUs.values, n0)],
        [
          'our verifier.verify (cache off) beyond node:crypto verify, CPU µs',
          passes(j.oursVerifyOverCryptoUs.values, n1),
        ],
      ],
    ),
  ];
}

/** Memory: the verified-token cache, and every server's resident set under the bench load. */
function memorySection(memory) {
  const { cache, servers } = memory;
  const mb = (value) => (Number.isFinite(value) ? `${value.toFixed(1)} MB` : '—');
  return [
    '## Memory',
    '',
    `Verified-token cache at its default size: a process with a verifier (defaults: cache on, ${cache.entries} entries) verifies ${cache.entries} distinct RS256 tokens of ${cache.tokenLength} characters, each a fresh string as a request header gives it; a second process does the same with \`tokenCache: false\`; each reads its resident set and V8 heap after a full GC before and after the fill (\`node --expose-gc bench/micro/cache-memory.js\`, with a fixed 16 MB young generation so that V8's resizing of it does not swamp the figure; medians over runs). Per cached token: growth with the cache on minus growth with it off, divided by the entries.`,
    '',
    table(
      ['figure', 'value'],
      [
        ['resident set, cache full', mb(cache.rssMB)],
        ['resident set, same tokens with the cache off', mb(cache.rssOffMB)],
        [
          '**resident memory per cached token** (goal < 2 KB)',
          `**${n0(cache.rssBytesPerToken)} B**`,
        ],
        ['V8 heap per cached token (live objects)', `${n0(cache.heapBytesPerToken)} B`],
      ],
    ),
    '',
    "Servers' resident set (VmRSS) read right after each of their loads, and its peak (VmHWM), the largest over all passes:",
    '',
    table(
      ['server', 'resident set after load', 'peak'],
      servers.map((server) => [server.label, mb(server.rssMB), mb(server.peakRssMB)]),
    ),
  ];
}

/** A line naming the loads where the generator was near its core's limit, if any. */
function generatorBound(rows) {
  const bound = [];
  rows.tokenEndpoint.passes.forEach((pass, i) => {
    for (const { key, label } of TOKEN_TARGETS) {
      if (pass[key]?.generatorCpu > 0.85) bound.push(`${label} (pass ${i + 1})`);
    }
  });
  rows.verification.passes.forEach((pass, i) => {
    for (const mode of MODES) {
      for (const { key, label } of FRAMEWORKS) {
        for (const role of ['none', 'peer', 'ours', ...(mode.feed ? ['oursFeed'] : [])]) {
          if (pass[mode.key][key][role]?.generatorCpu > 0.85) {
            bound.push(
              `${label} ${role === 'none' ? 'unprotected' : role}, ${mode.label} (pass ${i + 1})`,
            );
          }
        }
      }
    }
  });
  if (bound.length === 0) return [];
  return [
    `- In these loads the generator used more than 85 % of its core, so it may have set the rate rather than the server (which makes the server look slower, and its ratio to a slower route look closer to 1): ${bound.join('; ')}.`,
  ];
}

/** One row of the client latency table: the three ways to call, then the two differences. */
function latencyRow(label, latencyPasses, pick, added, overHeader, kind) {
  const column = (name) =>
    passes(
      latencyPasses.map((p) => pick(p[kind][name])),
      n0,
    );
  const micro = (v) => `${n1(v)} µs`;
  return [
    label,
    column('plain'),
    column('header'),
    column('client'),
    passes(added.values, micro),
    passes(overHeader.values, micro),
  ];
}
