// `npm run bench`: every row of issue 9 in one run, then bench/RESULTS.md.
//
//   npm run bench                      full run (2 s per load, 8 passes, about 8 minutes)
//   npm run bench -- --quick           smoke check (< 1 min, one pass); prints the report and writes
//                                      it to <tmpdir>/m2m-auth-bench-quick/RESULTS.md
//   npm run bench -- --out FILE        where to write the Markdown report (default: see above)
//   npm run bench -- --json FILE       also write every figure as JSON
//   npm run bench -- --render FILE     write the report of a run saved with --json again (no load)
//
// Servers run pinned to core 0 and load generators to core 1 (taskset); loopback only; every load
// is bounded in time. Imports the built packages (npm ci builds them; else `npx tsc -b`).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate } from './lib/evaluate.js';
import { describeMachine } from './lib/machine.js';
import { startLoadGenerator } from './lib/measure.js';
import { TASKSET } from './lib/processes.js';
import { renderReport } from './lib/report.js';
import { runClientRow } from './rows/client.js';
import { runTokenEndpointRow } from './rows/token-endpoint.js';
import { runVerificationRow } from './rows/verification.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const PLANS = {
  full: {
    durationSec: 2,
    warmupSec: 2,
    // Before every later measurement too: a server idle for 20 s or more used up to 50 % more CPU
    // per request in its first 2 s of load than right after (measured on Express; cold caches,
    // code re-optimized), which penalized whichever server idled longest: the cached-token
    // servers, loaded once per pass. Every server gets the same re-warm-up.
    rewarmSec: 0.5,
    passes: 8,
    microSec: 0.7,
    quietWaitSec: 10,
    connections: 10,
    distinctTokens: 1000,
    clientCalls: 10_000,
    clientConcurrency: 100,
    clientSec: 2,
    memoryRuns: 3,
  },
  quick: {
    // A smoke check: no warm-up (a second autocannon start per server costs more than it buys).
    durationSec: 0.5,
    warmupSec: 0,
    rewarmSec: 0,
    passes: 1,
    microSec: 0.3,
    quietWaitSec: 0,
    connections: 10,
    distinctTokens: 1000,
    clientCalls: 10_000,
    clientConcurrency: 100,
    clientSec: 0.5,
    memoryRuns: 1,
  },
};

function parseCommandLine(argv) {
  const options = { quick: false, out: undefined, json: undefined, render: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--out' || arg === '--json' || arg === '--render') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a file name`);
      options[arg.slice(2)] = value;
    } else {
      throw new Error(
        `unknown argument ${arg}; use --quick, --out FILE, --json FILE, --render FILE`,
      );
    }
  }
  return options;
}

/** Renders the report of a run saved with --json again (after ANALYSIS.md or the report changed). */
function renderSaved(options) {
  const saved = JSON.parse(readFileSync(options.render, 'utf8'));
  const usable = withoutSpoiled(saved.rows);
  const run = {
    ...saved,
    usable,
    spoiledShare: SPOILED_SHARE,
    derived: evaluate(usable),
    analysis: readAnalysis(),
  };
  const out = options.out ?? join(HERE, 'RESULTS.md');
  writeFileSync(out, renderReport(run));
  process.stderr.write(`bench: report of the run of ${saved.date} written to ${out}\n`);
}

async function main() {
  const options = parseCommandLine(process.argv.slice(2));
  if (options.render !== undefined) {
    renderSaved(options);
    return;
  }
  const mode = options.quick ? 'quick' : 'full';
  const plan = PLANS[mode];
  const started = performance.now();
  const say = (line) =>
    process.stderr.write(`bench ${((performance.now() - started) / 1000).toFixed(1)}s: ${line}\n`);
  if (TASKSET === undefined) say('taskset not found: processes are not pinned to cores');
  const machine = describeMachine();
  const workDir = mkdtempSync(join(tmpdir(), 'm2m-auth-bench-'));
  let load;
  try {
    load = await startLoadGenerator();
    const context = { workDir, say, load };
    const rows = {
      tokenEndpoint: await runTokenEndpointRow(plan, context),
      verification: await runVerificationRow(plan, context),
      client: await runClientRow(plan, context),
    };
    const usable = withoutSpoiled(rows);
    const run = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      mode,
      plan,
      machine,
      rows,
      usable,
      spoiledShare: SPOILED_SHARE,
      derived: evaluate(usable),
      durationSec: (performance.now() - started) / 1000,
      maxGeneratorCpu: maxGeneratorCpu(rows),
      foreignLoad: foreignLoad(rows),
      analysis: readAnalysis(),
    };
    const report = renderReport(run);
    const out =
      options.out ??
      (options.quick
        ? join(tmpdir(), 'm2m-auth-bench-quick', 'RESULTS.md')
        : join(HERE, 'RESULTS.md'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, report);
    if (options.json !== undefined)
      writeFileSync(options.json, `${JSON.stringify(run, null, 2)}\n`);
    if (options.quick) process.stdout.write(report);
    say(`report written to ${out} (${Math.round(run.durationSec)} s)`);
    for (const target of run.derived.targets) {
      say(
        `${target.met ? 'met   ' : 'MISSED'} ${target.name}: ${target.figure} (goal ${target.goal}; beside it: ${target.altFigure}, ${target.altMet ? 'met' : 'missed'})`,
      );
    }
  } finally {
    await load?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** A measurement during which other processes took more than this share of core 0 is spoiled. */
const SPOILED_SHARE = 0.5;

/**
 * The rows with every figure of a spoiled measurement replaced by NaN, so that it shows as "—" and
 * stays out of medians and ratios; the JSON output keeps the raw rows.
 */
function withoutSpoiled(rows) {
  const copy = structuredClone(rows);
  const blank = (value) => {
    for (const [key, child] of Object.entries(value)) {
      // Memory is not moved by other processes' CPU use: kept.
      if (
        key === 'foreignShare' ||
        key === 'generatorCpu' ||
        key === 'serverRssMB' ||
        key === 'serverPeakRssMB'
      )
        continue;
      if (typeof child === 'number') value[key] = Number.NaN;
      else if (child !== null && typeof child === 'object') blank(child);
    }
  };
  const visit = (value) => {
    if (value === null || typeof value !== 'object') return;
    if (typeof value.foreignShare === 'number' && value.foreignShare > SPOILED_SHARE) {
      blank(value);
      return;
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(copy);
  return copy;
}

/** Every number called `name` anywhere in the rows' figures. */
function collect(rows, name) {
  const found = [];
  const visit = (value) => {
    if (value === null || typeof value !== 'object') return;
    if (typeof value[name] === 'number') found.push(value[name]);
    for (const child of Object.values(value)) visit(child);
  };
  visit(rows);
  return found;
}

/** The busiest the load generator ever was (share of its core). */
const maxGeneratorCpu = (rows) => Math.max(0, ...collect(rows, 'generatorCpu'));

/** How much of the server core other processes took during the measurements: mean and max. */
function foreignLoad(rows) {
  const shares = collect(rows, 'foreignShare');
  if (shares.length === 0) return undefined;
  return {
    mean: shares.reduce((sum, share) => sum + share, 0) / shares.length,
    max: Math.max(...shares),
  };
}

/** The hand-written profile analysis (bench/ANALYSIS.md), appended to the report. */
function readAnalysis() {
  try {
    return readFileSync(join(HERE, 'ANALYSIS.md'), 'utf8');
  } catch {
    return undefined;
  }
}

main().catch((err) => {
  process.stderr.write(`bench: failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
