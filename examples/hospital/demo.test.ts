/**
 * Runs the hospital demo as a user does (`node examples/hospital/run-demo.js`, what `npm run demo`
 * runs), each run in its own temporary data folder, and checks its trace, its exit code, that it
 * prints no secret or token, and that it leaves no process behind.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEMO = join(import.meta.dirname, 'run-demo.js');
/** Upper bound of one demo run, ms; a run takes a few seconds. */
const RUN_TIMEOUT_MS = 90_000;

const dataDirs: string[] = [];
function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-demo-test-'));
  dataDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Every client secret the run provisioned, read from its .env files. */
function provisionedSecrets(dataDir: string): string[] {
  const envDir = join(dataDir, 'env');
  return readdirSync(envDir)
    .filter((file) => file.endsWith('.env'))
    .map((file) => parseEnv(readFileSync(join(envDir, file), 'utf8'))['OAUTH_CLIENT_SECRET'])
    .filter((secret): secret is string => secret !== undefined && secret.length > 0);
}

/** The URLs of the "started" lines of the trace. */
function startedUrls(output: string): string[] {
  return [...output.matchAll(/^ {2}started +\S+ +(http:\/\/127\.0\.0\.1:\d+)/gm)].map(
    (match) => match[1] as string,
  );
}

/** Resolves with the status of a GET, or 'refused' when nothing listens there any more. */
async function statusOf(url: string): Promise<number | 'refused'> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 'refused';
  }
}

function hasCurl(): boolean {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A JWS compact serialization: three base64url parts starting with an encoded JSON header. */
const JWT_PATTERN = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/;

describe('npm run demo', () => {
  let dataDir: string;
  let result: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    dataDir = newDataDir();
    result = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [DEMO, '--data-dir', dataDir],
        // SIGTERM on timeout: the demo then stops what it started.
        { timeout: RUN_TIMEOUT_MS, killSignal: 'SIGTERM' },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }, RUN_TIMEOUT_MS + 10_000);

  it('exits 0 after every result came out as expected', () => {
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^all \d+ results as expected$/m);
    // A check that failed is tagged FAIL; ERR_CLIENT_AUTH_FAILED in the audit graph is not one.
    expect(result.stdout).not.toMatch(/\bFAIL\b/);
  });

  it('starts the auth-service and five services on 127.0.0.1 ports of their own', () => {
    const urls = startedUrls(result.stdout);
    expect(urls).toHaveLength(6);
    expect(new Set(urls).size).toBe(6);
    expect(result.stdout).toMatch(/started +ms_pharmacy +http:\S+ +Hono,/);
    expect(result.stdout).toMatch(/started +ms_lab +http:\S+ +NestJS,/);
    expect(result.stdout).toMatch(/provision +services\.yaml: 10 services, 8 clients created/);
  });

  it('shows the tokens ms_admin obtained and its four successful calls', () => {
    expect(result.stdout).toMatch(
      /token +client ms_admin, audience ms_doctor, scope doctors:read, expires in \d+ s \(as ms_doctor verified it\)/,
    );
    expect(result.stdout).toMatch(
      /token +client ms_admin, audience ms_college, scope colleges:read, expires in \d+ s \(as ms_college verified it\)/,
    );
    for (const [service, scope] of [
      ['ms_pharmacy', 'prescriptions:read'],
      ['ms_lab', 'lab-results:read'],
    ]) {
      expect(result.stdout).toMatch(
        new RegExp(
          `token +client ms_admin, audience ${service}, scope ${scope}, expires in \\d+ s \\(as ${service} verified it\\)`,
        ),
      );
    }
    expect(result.stdout).toMatch(/200 ok +ms_doctor GET \/doctors\/api\/some-data: 3 doctors/);
    expect(result.stdout).toMatch(/200 ok +ms_college GET \/colleges\/api\/some-data: 2 colleges/);
    expect(result.stdout).toMatch(
      /200 ok +ms_pharmacy GET \/pharmacy\/api\/some-data: 2 prescriptions \(ms_admin called it with undici\)/,
    );
    expect(result.stdout).toMatch(
      /200 ok +ms_lab GET \/lab\/api\/some-data: 3 results \(ms_admin called it with axios\)/,
    );
    expect(result.stdout).toMatch(/200 ok +ms_admin GET \/admin\/api\/overview/);
  });

  it('shows a request without a token refused with 401 and a bare Bearer challenge', () => {
    expect(result.stdout).toMatch(
      /401 ok +no token, at ms_doctor: WWW-Authenticate: Bearer realm="ms_doctor"$/m,
    );
  });

  it('shows a token minted for ms_doctor refused by ms_college with 401 invalid_token', () => {
    expect(result.stdout).toMatch(
      /401 ok +that ms_doctor token replayed at ms_college \(wrong audience\): invalid_token/,
    );
  });

  it('shows the Hono and NestJS receivers refusing as the others do', () => {
    expect(result.stdout).toMatch(
      /401 ok +that ms_doctor token replayed at ms_pharmacy \(Hono\): invalid_token/,
    );
    expect(result.stdout).toMatch(
      /401 ok +no token, at ms_lab \(NestJS\): WWW-Authenticate: Bearer realm="ms_lab"$/m,
    );
  });

  it('shows a client without doctors:read refused by ms_doctor with 403 insufficient_scope', () => {
    expect(result.stdout).toMatch(
      /token +client ms_appointment, audience ms_doctor, scope doctors:schedule, expires in \d+ s/,
    );
    expect(result.stdout).toMatch(/403 ok +ms_appointment at ms_doctor .*: insufficient_scope/);
  });

  it('shows a revoked client refused a new token with invalid_client', () => {
    expect(result.stdout).toMatch(/revoke +m2m-auth client revoke ms_appointment/);
    expect(result.stdout).toMatch(/401 ok +ms_appointment's next token request: invalid_client/);
  });

  it('ends with the graph of exactly its calls and the grants it never used', () => {
    expect(result.stdout).toMatch(/ok +audit graph: exactly the calls this run made/);
    expect(result.stdout).toMatch(
      /ok +audit unused: exactly the services that asked for no token \(ms_billing, ms_doctor, ms_lab, ms_patient, ms_pharmacy, ms_records\)/,
    );
    expect(result.stdout).toMatch(
      /audit +m2m-auth audit unused: 24 grants this run never used, in 6 clients/,
    );
  });

  it('prints no client secret, no token and no private key', () => {
    const output = result.stdout + result.stderr;
    const secrets = provisionedSecrets(dataDir);
    expect(secrets).toHaveLength(8);
    for (const secret of secrets) expect(output).not.toContain(secret);
    expect(output).not.toMatch(JWT_PATTERN);
    expect(output).not.toContain('PRIVATE KEY');
  });

  it('leaves none of the processes it started running', async () => {
    for (const url of startedUrls(result.stdout)) expect(await statusOf(url)).toBe('refused');
    expect(result.stdout).toContain('stopped the 6 processes it started');
  });
});

describe('npm run demo -- --keep', () => {
  let child: ChildProcess | undefined;

  afterAll(async () => {
    // Only if a failed assertion left it running.
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it(
    'keeps the services running with a working curl line, and stops them all on Ctrl-C',
    async () => {
      const dataDir = newDataDir();
      const running = spawn(process.execPath, [DEMO, '--keep', '--data-dir', dataDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = running;
      const exited = once(running, 'exit');
      let stdout = '';
      running.stdout.setEncoding('utf8');
      running.stderr.resume();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no keep instructions within ${RUN_TIMEOUT_MS} ms:\n${stdout}`)),
          RUN_TIMEOUT_MS,
        );
        running.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('client list --database')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then(() => reject(new Error(`the demo exited early:\n${stdout}`)));
      });

      const urls = startedUrls(stdout);
      expect(urls).toHaveLength(6);
      const overview = /curl -s (http:\/\/127\.0\.0\.1:\d+\/admin\/api\/overview)/.exec(
        stdout,
      )?.[1];
      expect(overview).toBeDefined();
      expect(await statusOf(overview as string)).toBe(200);

      // The printed by-hand line gets a token with ms_admin's .env and calls ms_doctor (with curl,
      // when the machine has it).
      const curlLine = /^ {2}(TOKEN=.*)$/m.exec(stdout)?.[1];
      expect(curlLine).toBeDefined();
      expect(curlLine).not.toMatch(JWT_PATTERN);
      for (const secret of provisionedSecrets(dataDir)) expect(stdout).not.toContain(secret);
      if (hasCurl()) {
        const curlOutput = await new Promise<string>((resolve, reject) => {
          execFile('bash', ['-c', curlLine as string], { timeout: 30_000 }, (error, out, err) =>
            error === null ? resolve(out) : reject(new Error(`${error.message}${err}`)),
          );
        });
        expect(JSON.parse(curlOutput)).toMatchObject({ caller: { scopes: ['doctors:read'] } });
      }

      running.kill('SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      for (const url of urls) expect(await statusOf(url)).toBe('refused');
    },
    2 * RUN_TIMEOUT_MS,
  );
});
