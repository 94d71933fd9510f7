#!/usr/bin/env node
// The hospital demo, end to end with real processes on 127.0.0.1:
//
//   npm run demo                  provision, start, make the calls, print the trace, stop, exit 0
//   npm run demo -- --keep        ... then leave the services running until Ctrl-C
//   npm run demo -- --data-dir D  use the (new or empty) folder D instead of examples/hospital/.data
//
// It starts the auth-service (`m2m-auth serve`), provisions services.yaml into a fresh data folder
// (SQLite database, one .env per service), starts ms_doctor (Fastify), ms_college (Express),
// ms_pharmacy (Hono), ms_lab (NestJS) and ms_admin (the calling service, with fetch, undici and
// axios), then checks what must work and what must be refused. The trace
// names clients, audiences, scopes and expiry; it never prints a secret or a token. Exit code 0
// when every result is the expected one, 1 otherwise, 130 when interrupted.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs, parseEnv } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const CLI = join(ROOT, 'packages/server/bin/m2m-auth.js');
const MANIFEST = join(HERE, 'services.yaml');
/** How long a process may take to start listening, ms. */
const READY_TIMEOUT_MS = 20_000;
/** How long one HTTP call or CLI command may take, ms. */
const CALL_TIMEOUT_MS = 15_000;
/** How long a stopped process may take to exit before it is killed, ms. */
const STOP_TIMEOUT_MS = 5_000;

const USAGE = `Usage: npm run demo [-- [--keep] [--data-dir <dir>]]
  --keep            leave the services running after the checks (Ctrl-C stops them)
  --data-dir <dir>  data folder (must be new or empty); default examples/hospital/.data, wiped at start`;

/** The processes this run started; only these are ever stopped. */
const processes = [];
let dataDir;
let logDir;
let checks = 0;
let failures = 0;
/** Set once the checks passed and --keep leaves the services running. */
let keeping = false;
/** Set by shutdown(): from then on, processes exiting is expected. */
let stopping;
/** `createTokenClient` of @m2m-auth/client, imported once the build is known to be there. */
let createTokenClient;

main().catch(async (err) => {
  console.error(`\ndemo failed: ${err.message}`);
  if (logDir !== undefined) console.error(`logs of the processes: ${display(logDir)}`);
  await shutdown(1);
});

async function main() {
  const args = parseCommandLine();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.log(`\n${signal}: stopping`);
      void shutdown(keeping ? 0 : 130);
    });
  }
  checkBuilt();
  ({ createTokenClient } = await import('@m2m-auth/client'));
  prepareDataDir(args.dataDir);
  const database = `sqlite:${join(dataDir, 'm2m-auth.db')}`;
  const envDir = join(dataDir, 'env');

  console.log('m2m-auth demo: the hospital platform (examples/hospital)\n');

  // 1. The auth-service on a free port; its first start creates the database and a signing key.
  const auth = await startProcess(
    'auth-service',
    [CLI, 'serve', '--port', '0', '--database', database, '--log-level', 'info', '--audit-store'],
    {},
    (line) => {
      // pino writes JSON lines on stdout; this one says where it listens.
      if (!line.startsWith('{')) return undefined;
      const entry = JSON.parse(line);
      return entry.msg === 'm2m-auth serving' ? entry.url : undefined;
    },
  );
  trace('started', `auth-service  ${auth.url}  m2m-auth serve, SQLite in ${display(dataDir)}`);

  // 2. Provision the ten services of the manifest against it.
  const report = JSON.parse(
    await runCli([
      'provision',
      MANIFEST,
      '--env-dir',
      envDir,
      '--auth-url',
      auth.url,
      '--database',
      database,
      '--json',
    ]),
  );
  // The JSON report holds the new secrets: only counts are taken from it.
  const services = report.files.filter(
    (file) => file.service !== null && file.path.endsWith('.env'),
  ).length;
  const created = report.clients.filter((client) => client.action === 'create').length;
  trace(
    'provision',
    `services.yaml: ${services} services, ${created} clients created, a .env per service in ${display(envDir)}`,
  );
  const env = readEnvFiles(envDir);
  const nameOf = (clientId) =>
    Object.keys(env).find((name) => env[name].OAUTH_CLIENT_ID === clientId) ?? clientId;

  // 3. The five services, each with its own .env.
  const listening = (line) => /listening on (http:\/\/\S+)/.exec(line)?.[1];
  const doctor = await startProcess(
    'ms_doctor',
    [`--env-file=${join(envDir, 'ms_doctor.env')}`, join(HERE, 'ms_doctor.js')],
    {},
    listening,
  );
  trace(
    'started',
    `ms_doctor     ${doctor.url}  Fastify, verifies tokens with the public key file`,
  );
  const college = await startProcess(
    'ms_college',
    [`--env-file=${join(envDir, 'ms_college.env')}`, join(HERE, 'ms_college.js')],
    {},
    listening,
  );
  trace('started', `ms_college    ${college.url}  Express, verifies tokens with the JWKS URL`);
  const pharmacy = await startProcess(
    'ms_pharmacy',
    [`--env-file=${join(envDir, 'ms_pharmacy.env')}`, join(HERE, 'ms_pharmacy.js')],
    {},
    listening,
  );
  trace('started', `ms_pharmacy   ${pharmacy.url}  Hono, verifies tokens with the public key file`);
  const lab = await startProcess(
    'ms_lab',
    [`--env-file=${join(envDir, 'ms_lab.env')}`, join(HERE, 'ms_lab.js')],
    {},
    listening,
  );
  trace('started', `ms_lab        ${lab.url}  NestJS, verifier module built from its .env`);
  const admin = await startProcess(
    'ms_admin',
    [`--env-file=${join(envDir, 'ms_admin.env')}`, join(HERE, 'ms_admin.js')],
    {
      MS_DOCTOR_URL: doctor.url,
      MS_COLLEGE_URL: college.url,
      MS_PHARMACY_URL: pharmacy.url,
      MS_LAB_URL: lab.url,
    },
    listening,
  );
  trace(
    'started',
    `ms_admin      ${admin.url}  calls the four with @m2m-auth/client (fetch, undici, axios)`,
  );

  const doctorsUrl = `${doctor.url}/doctors/api/some-data`;
  const collegesUrl = `${college.url}/colleges/api/some-data`;
  const pharmacyUrl = `${pharmacy.url}/pharmacy/api/some-data`;
  const labUrl = `${lab.url}/lab/api/some-data`;

  // 4. What must work: ms_admin calls the four services with tokens it gets itself.
  console.log(
    '\nallowed: ms_admin calls ms_doctor, ms_college, ms_pharmacy and ms_lab (GET /admin/api/overview)',
  );
  const overview = await call(`${admin.url}/admin/api/overview`);
  for (const [service, path, listName, how] of [
    ['ms_doctor', '/doctors/api/some-data', 'doctors', 'fetch'],
    ['ms_college', '/colleges/api/some-data', 'colleges', 'fetch'],
    ['ms_pharmacy', '/pharmacy/api/some-data', 'prescriptions', 'undici'],
    ['ms_lab', '/lab/api/some-data', 'results', 'axios'],
  ]) {
    const result = overview.body?.[service];
    const caller = result?.body?.caller;
    if (caller !== undefined) {
      const expSec = Date.parse(caller.expiresAt) / 1000;
      trace(
        'token',
        `${describeToken(nameOf(caller.clientId), service, caller.scopes, expSec)} (as ${service} verified it)`,
      );
    }
    const count = result?.body?.[listName]?.length;
    check(
      result?.status === 200,
      result,
      `${service} GET ${path}: ${count} ${listName} (ms_admin called it with ${how})`,
    );
  }
  check(overview.status === 200, overview, 'ms_admin GET /admin/api/overview');

  // 5. What must be refused.
  console.log('\nrefused');
  const anonymous = await call(doctorsUrl);
  const challenge = anonymous.headers.get('www-authenticate') ?? '';
  check(
    anonymous.status === 401 && challenge.startsWith('Bearer') && !challenge.includes('error='),
    anonymous,
    `no token, at ms_doctor: WWW-Authenticate: ${challenge}`,
  );

  // The demo plays ms_admin with ms_admin's .env: a token for ms_doctor, then replayed at ms_college.
  const asAdmin = tokenClient(env.ms_admin);
  const doctorToken = await asAdmin.getToken({ audience: 'ms_doctor', scope: 'doctors:read' });
  trace('token', describeToken('ms_admin', ...audienceScopesExpiry(doctorToken)));
  const replayed = await call(collegesUrl, doctorToken);
  check(
    replayed.status === 401 && replayed.body?.error === 'invalid_token',
    replayed,
    `that ms_doctor token replayed at ms_college (wrong audience): ${oauthError(replayed)}`,
  );
  const atPharmacy = await call(pharmacyUrl, doctorToken);
  check(
    atPharmacy.status === 401 && atPharmacy.body?.error === 'invalid_token',
    atPharmacy,
    `that ms_doctor token replayed at ms_pharmacy (Hono): ${oauthError(atPharmacy)}`,
  );
  const anonymousLab = await call(labUrl);
  const labChallenge = anonymousLab.headers.get('www-authenticate') ?? '';
  check(
    anonymousLab.status === 401 &&
      labChallenge.startsWith('Bearer') &&
      !labChallenge.includes('error='),
    anonymousLab,
    `no token, at ms_lab (NestJS): WWW-Authenticate: ${labChallenge}`,
  );

  // ms_appointment may call ms_doctor, but only with doctors:schedule.
  const asAppointment = tokenClient(env.ms_appointment);
  const scheduleToken = await asAppointment.getToken({
    audience: 'ms_doctor',
    scope: 'doctors:schedule',
  });
  trace('token', describeToken('ms_appointment', ...audienceScopesExpiry(scheduleToken)));
  const withoutScope = await call(doctorsUrl, scheduleToken);
  check(
    withoutScope.status === 403 && withoutScope.body?.error === 'insufficient_scope',
    withoutScope,
    `ms_appointment at ms_doctor GET /doctors/api/some-data (needs doctors:read): ${oauthError(withoutScope)}`,
  );

  // Revoked with the CLI: the next token request fails (tokens already issued live out their TTL).
  await runCli(['client', 'revoke', 'ms_appointment', '--database', database]);
  trace('revoke', 'm2m-auth client revoke ms_appointment');
  let revoked;
  try {
    await tokenClient(env.ms_appointment).getToken({
      audience: 'ms_doctor',
      scope: 'doctors:schedule',
    });
    revoked = { status: 200, body: 'a token' };
  } catch (err) {
    revoked = { status: err.status, body: err.oauthError ?? err.code ?? err.message };
  }
  check(
    revoked.body === 'invalid_client',
    revoked,
    `ms_appointment's next token request: ${revoked.body}`,
  );

  // 6. Who called whom, from the audit table that `serve --audit-store` fills.
  console.log('\naudit: m2m-auth audit graph (who called whom, from the audit table)');
  const graph = await auditGraph(database);
  for (const line of graph.mermaid.trim().split('\n')) trace('', line);
  const pairs = graph.json.edges.map((edge) => `${edge.from} -> ${edge.to}`);
  const appointment = graph.json.edges.find((edge) => edge.from === 'ms_appointment');
  check(
    JSON.stringify(pairs) ===
      JSON.stringify([
        'ms_admin -> ms_college',
        'ms_admin -> ms_doctor',
        'ms_admin -> ms_lab',
        'ms_admin -> ms_pharmacy',
        'ms_appointment -> ms_doctor',
      ]) && appointment?.refusal_reasons.map((r) => r.reason).join() === 'ERR_CLIENT_AUTH_FAILED',
    { body: pairs },
    'audit graph: exactly the calls this run made, and the revoked ms_appointment refused',
  );
  const unused = JSON.parse(
    await runCli(['audit', 'unused', '--since', '1h', '--database', database, '--json']),
  );
  trace(
    'audit',
    `m2m-auth audit unused: ${unused.unused_count} grants this run never used, in ${unused.clients.length} clients`,
  );
  // ms_admin used every grant it holds and ms_appointment is revoked: the others asked for nothing.
  const idle = unused.clients.map((client) => `${client.name}${client.idle ? '' : ' (not idle)'}`);
  check(
    JSON.stringify(idle) ===
      JSON.stringify([
        'ms_billing',
        'ms_doctor',
        'ms_lab',
        'ms_patient',
        'ms_pharmacy',
        'ms_records',
      ]),
    { body: idle },
    `audit unused: exactly the services that asked for no token (${idle.join(', ')})`,
  );

  console.log(
    failures === 0
      ? `\nall ${checks} results as expected`
      : `\n${failures} of ${checks} results unexpected`,
  );
  if (failures > 0) {
    console.log(`logs of the processes: ${display(logDir)}`);
    await shutdown(1);
    return;
  }
  if (!args.keep) {
    await shutdown(0);
    return;
  }
  keeping = true;
  printKeepInstructions({ auth, doctor, college, pharmacy, lab, admin, envDir });
}

function parseCommandLine() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        keep: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return { keep: values.keep, dataDir: values['data-dir'] };
}

/** The services run the compiled packages: say so clearly if `npm ci` (or the build) has not run. */
function checkBuilt() {
  for (const file of [
    'packages/server/dist/cli/main.js',
    'packages/verifier/dist/index.js',
    'packages/client/dist/index.js',
  ]) {
    if (!existsSync(join(ROOT, file))) {
      throw new Error(`${file} is missing: run \`npm ci\` (or \`npm run build\`) first`);
    }
  }
}

/**
 * The default folder is wiped at start, unless another demo still runs in it; a folder given with
 * --data-dir is never wiped: it must be new or empty.
 */
function prepareDataDir(given) {
  if (given === undefined) {
    dataDir = join(HERE, '.data');
    const pidFile = join(dataDir, 'demo.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (isRunning(pid)) {
        console.error(
          `another demo (pid ${pid}) is using ${display(dataDir)}: stop it, or pass --data-dir <dir>`,
        );
        process.exit(2);
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  } else {
    dataDir = resolve(given);
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      console.error(`--data-dir ${given} is not empty: give a new or empty folder`);
      process.exit(2);
    }
  }
  logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, 'demo.pid'), String(process.pid));
}

function isRunning(pid) {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * The environment of the processes: this shell's, without the settings their .env files give
 * (Node's --env-file does not override variables that are already set).
 */
function childEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (name === 'AUTH_URL' || name === 'PORT' || name.startsWith('OAUTH_')) delete env[name];
  }
  return { ...env, ...extra };
}

/**
 * Starts `node <args>`, writes its output to logs/<name>.log, and resolves with its URL once
 * `readyUrl(line)` finds it in a line of its output.
 */
async function startProcess(name, args, extraEnv, readyUrl) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: childEnv(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches this runner only, which then stops each process it
    // started, in order, and knows that they exit.
    detached: true,
  });
  const log = createWriteStream(join(logDir, `${name}.log`));
  const entry = { name, child, exited: once(child, 'exit') };
  processes.push(entry);
  child.on('exit', (code, signal) => {
    if (stopping === undefined) {
      console.error(`\n${name} exited unexpectedly (${signal ?? `code ${code}`})`);
      console.error(`its log: ${display(join(logDir, `${name}.log`))}`);
      void shutdown(1);
    }
  });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start listening within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.once('error', reject);
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipe(log, { end: false });
      createInterface({ input: stream }).on('line', (line) => {
        let found;
        try {
          found = readyUrl(line);
        } catch {
          // Not a line we understand: it only goes to the log.
        }
        if (found !== undefined) {
          clearTimeout(timer);
          resolveUrl(found);
        }
      });
    }
  });
  return { url, pid: child.pid };
}

/** Runs `m2m-auth <args>` to completion; resolves with its stdout, throws on a non-zero exit. */
async function runCli(args) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: childEnv({}),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CALL_TIMEOUT_MS,
  });
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  const [code, signal] = await once(child, 'exit');
  // stderr holds the CLI's one-line messages (never secrets): kept in the log.
  const messages = Buffer.concat(stderr).toString();
  await writeFile(join(logDir, 'cli.log'), `$ m2m-auth ${args[0]} ${args[1]}\n${messages}`, {
    flag: 'a',
  });
  if (code !== 0) {
    throw new Error(
      `m2m-auth ${args[0]} ${args[1]} failed (${signal ?? `exit ${code}`}): ${messages.trim()}`,
    );
  }
  return Buffer.concat(stdout).toString();
}

/**
 * `audit graph` (JSON and Mermaid) once the audit table holds the run's last event, the refused
 * token request of the revoked ms_appointment: the server stores events about once a second.
 */
async function auditGraph(database) {
  for (let attempt = 0; ; attempt += 1) {
    const json = JSON.parse(
      await runCli(['audit', 'graph', '--since', '1h', '--database', database, '--json']),
    );
    const stored = json.edges.some((edge) => edge.from === 'ms_appointment' && edge.refusals > 0);
    if (stored || attempt === 40) {
      const mermaid = await runCli(['audit', 'graph', '--since', '1h', '--database', database]);
      return { json, mermaid };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** GET with an optional bearer token; resolves with status, headers and parsed JSON body. */
async function call(url, token) {
  const res = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body };
}

/** A token client with the three settings of a caller's .env, as the service itself would make. */
function tokenClient(serviceEnv) {
  return createTokenClient({
    tokenUrl: serviceEnv.AUTH_URL,
    clientId: serviceEnv.OAUTH_CLIENT_ID,
    // A secret, or (manifest `client_auth: private_key_jwt`) the service's private key file.
    ...(serviceEnv.OAUTH_CLIENT_KEY_PATH
      ? { privateKeyPath: serviceEnv.OAUTH_CLIENT_KEY_PATH }
      : { clientSecret: serviceEnv.OAUTH_CLIENT_SECRET }),
    totalTimeoutMs: CALL_TIMEOUT_MS,
  });
}

/** Each provisioned .env, parsed, by service name. */
function readEnvFiles(envDir) {
  const env = {};
  for (const file of readdirSync(envDir)) {
    if (file.endsWith('.env')) {
      env[file.slice(0, -'.env'.length)] = parseEnv(readFileSync(join(envDir, file), 'utf8'));
    }
  }
  return env;
}

/**
 * Audience, scopes and expiry of a token, for the trace only. The claims are decoded, not
 * verified: verifying is the resource servers' job, and the ones above do it.
 */
function audienceScopesExpiry(token) {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
  return [claims.aud, (claims.scope ?? '').split(' ').filter(Boolean), claims.exp];
}

function describeToken(client, audience, scopes, expSec) {
  const inSec = Math.ceil(expSec - Date.now() / 1000);
  return `client ${client}, audience ${audience}, scope ${scopes.join(' ') || '(none)'}, expires in ${inSec} s`;
}

function oauthError(result) {
  const { error, error_description: description } = result.body ?? {};
  return error === undefined ? '(no error)' : `${error} (${description})`;
}

/** One line of the trace: a short tag, then the text. */
function trace(tag, text) {
  console.log(`  ${tag.padEnd(9)} ${text}`);
}

/**
 * One result: tagged with its HTTP status and `ok` when it is the expected one, `FAIL` (and what
 * came instead) otherwise.
 */
function check(expected, actual, text) {
  checks += 1;
  const status = actual?.status ?? '---';
  if (expected) {
    trace(`${status} ok`, text);
    return;
  }
  failures += 1;
  trace(`${status} FAIL`, text);
  trace('', `got: ${JSON.stringify({ status: actual?.status, body: actual?.body })}`);
}

function printKeepInstructions({ auth, doctor, college, pharmacy, lab, admin, envDir }) {
  const adminEnv = shellQuote(display(join(envDir, 'ms_admin.env')));
  const field = (name) => `$(grep '^${name}=' ${adminEnv} | cut -d= -f2-)`;
  console.log(`
the services keep running (Ctrl-C stops them all):
  auth-service  ${auth.url}/.well-known/oauth-authorization-server
  ms_doctor     ${doctor.url}/doctors/api/some-data     (needs doctors:read)
  ms_college    ${college.url}/colleges/api/some-data   (needs colleges:read)
  ms_pharmacy   ${pharmacy.url}/pharmacy/api/some-data  (needs prescriptions:read)
  ms_lab        ${lab.url}/lab/api/some-data       (needs lab-results:read)
  ms_admin      ${admin.url}/admin/api/overview

try them from another terminal, in this folder:
  curl -s ${admin.url}/admin/api/overview
  # a token as ms_admin (the secret is read from its .env by the shell, never printed), then a call:
  TOKEN=$(curl -s -u "${field('OAUTH_CLIENT_ID')}:${field('OAUTH_CLIENT_SECRET')}" -d grant_type=client_credentials -d audience=ms_doctor -d scope=doctors:read ${auth.url}/oauth/token | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token') && curl -s -H "Authorization: Bearer $TOKEN" ${doctor.url}/doctors/api/some-data
  # the CLI on this database:
  node packages/server/bin/m2m-auth.js client list --database ${shellQuote(`sqlite:${display(join(dataDir, 'm2m-auth.db'))}`)}`);
}

/**
 * Stops every process this run started (SIGTERM, then SIGKILL after STOP_TIMEOUT_MS) and exits
 * with `code`. Safe to call more than once: the first call wins.
 */
function shutdown(code) {
  if (stopping !== undefined) return stopping;
  stopping = Promise.resolve().then(async () => {
    await Promise.all(
      processes.map(async ({ child, exited }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    if (processes.length > 0) console.log(`stopped the ${processes.length} processes it started`);
    if (dataDir !== undefined) rmSync(join(dataDir, 'demo.pid'), { force: true });
    process.exit(code);
  });
  return stopping;
}

/** A path relative to the current folder when it is inside it, else absolute. */
function display(path) {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function shellQuote(text) {
  return /^[\w./:@=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
