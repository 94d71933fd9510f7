/**
 * The log-scan test of the hardening issue: runs the full hospital demo (`node
 * examples/hospital/run-demo.js --data-dir D`, what `npm run demo` runs), which writes every
 * process's output — the auth-service's pino lines with an audit event per token request, the
 * five services, the CLI — to D/logs/, and asserts that no log line holds a client secret (read
 * from the provisioned .env files), an issued token (anything JWT-shaped) or private key text.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEMO = join(import.meta.dirname, '..', 'examples', 'hospital', 'run-demo.js');
/** Upper bound of one demo run, ms; a run takes a few seconds. */
const RUN_TIMEOUT_MS = 90_000;
/** A JWS compact serialization: three base64url parts, the first an encoded JSON object. */
const JWT_SHAPE = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

let dataDir: string;
let run: { code: number | null; output: string };
let logs: { file: string; lines: string[] }[];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'm2m-auth-log-scan-'));
  run = await new Promise((resolve) => {
    execFile(
      process.execPath,
      [DEMO, '--data-dir', dataDir],
      { timeout: RUN_TIMEOUT_MS, killSignal: 'SIGTERM' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
  const logDir = join(dataDir, 'logs');
  logs = readdirSync(logDir).map((file) => ({
    file,
    lines: readFileSync(join(logDir, file), 'utf8').split('\n'),
  }));
}, RUN_TIMEOUT_MS + 10_000);

afterAll(() => {
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

/** Every client secret the demo provisioned, from its .env files. */
function provisionedSecrets(): string[] {
  const envDir = join(dataDir, 'env');
  return readdirSync(envDir)
    .filter((file) => file.endsWith('.env'))
    .map((file) => parseEnv(readFileSync(join(envDir, file), 'utf8'))['OAUTH_CLIENT_SECRET'])
    .filter((secret): secret is string => secret !== undefined && secret !== '');
}

/** `file:line: text` of every log line matching `test`. */
function offending(test: (line: string) => boolean): string[] {
  return logs.flatMap(({ file, lines }) =>
    lines.flatMap((line, i) => (test(line) ? [`${file}:${i + 1}: ${line.slice(0, 200)}`] : [])),
  );
}

describe('logs of a full demo run', () => {
  it('come from every process, including the audit lines of the auth-service', () => {
    expect(run.code, run.output).toBe(0);
    expect(logs.map((log) => log.file).sort()).toEqual(
      expect.arrayContaining([
        'auth-service.log',
        'cli.log',
        'ms_admin.log',
        'ms_college.log',
        'ms_doctor.log',
        'ms_lab.log',
        'ms_pharmacy.log',
      ]),
    );
    const auth = logs.find((log) => log.file === 'auth-service.log')?.lines ?? [];
    const audit = auth.filter((line) => line.includes('"audit":'));
    expect(audit.some((line) => line.includes('"msg":"token issued"'))).toBe(true);
    // The revoked client's last request is refused, and audited as such.
    expect(audit.some((line) => line.includes('"reason":"ERR_CLIENT_AUTH_FAILED"'))).toBe(true);
  });

  it('hold no client secret', () => {
    const secrets = provisionedSecrets();
    expect(secrets.length).toBeGreaterThan(0);
    expect(offending((line) => secrets.some((secret) => line.includes(secret)))).toEqual([]);
  });

  it('hold no issued token', () => {
    expect(offending((line) => JWT_SHAPE.test(line))).toEqual([]);
  });

  it('hold no private key text', () => {
    expect(offending((line) => line.includes('PRIVATE KEY'))).toEqual([]);
  });
});
