/**
 * `npm run bench -- --quick` as a smoke check: the whole harness runs (servers pinned with taskset,
 * autocannon, every peer) and produces every row of issue 9. No timing is asserted: these figures
 * come from a loaded machine and one short pass; only their presence and the client's token count
 * (a behaviour, not a speed) are checked.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const committedResults = join(root, 'bench', 'RESULTS.md');
const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-bench-test-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const digest = (path: string): string | undefined =>
  existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : undefined;

function runQuick(
  jsonPath: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/run.js', '--quick', '--json', jsonPath], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const positive = expect.any(Number);

describe('npm run bench -- --quick', () => {
  it('measures every row of the issue, prints the report and leaves bench/RESULTS.md alone', async () => {
    const before = digest(committedResults);
    const jsonPath = join(dir, 'results.json');
    const { code, stdout, stderr } = await runQuick(jsonPath);
    expect(code, stderr).toBe(0);
    expect(digest(committedResults)).toBe(before);

    const run = JSON.parse(readFileSync(jsonPath, 'utf8'));
    expect(run.mode).toBe('quick');
    const [token] = run.rows.tokenEndpoint.passes;
    for (const key of [
      'oidcProvider',
      'oursRs256',
      'bareFastify',
      'oursEdDSA',
      'bareSignRs256',
      'bareSignEdDSA',
    ]) {
      expect(token[key], key).toMatchObject({
        rps: positive,
        latencyMs: { p50: positive, p99: positive },
      });
      expect(token[key].rps, key).toBeGreaterThan(0);
    }
    const op = { perSec: positive, cpuUs: positive };
    expect(token.ceiling).toMatchObject({ rs256: op, ed25519: op, joseRs256: op, joseEd25519: op });

    const [verification] = run.rows.verification.passes;
    for (const mode of ['distinct', 'repeated']) {
      for (const framework of ['fastify', 'express']) {
        for (const role of ['none', 'peer', 'ours']) {
          expect(
            verification[mode][framework][role].rps,
            `${mode} ${framework} ${role}`,
          ).toBeGreaterThan(0);
        }
      }
    }
    for (const framework of ['fastify', 'express']) {
      // The revocation feed on (a real m2m-auth server's /revocations), next to it off.
      expect(verification.repeated[framework].oursFeed.rps, framework).toBeGreaterThan(0);
    }
    for (const key of ['oursRs256', 'oursEdDSA']) {
      expect(token[key].serverRssMB, key).toBeGreaterThan(0);
    }
    const { cacheMemory } = run.rows.verification;
    for (const cache of ['on', 'off']) {
      expect(cacheMemory[cache][0], `cache ${cache}`).toMatchObject({
        entries: 1000,
        rssMB: positive,
        heapMB: positive,
      });
    }
    expect(verification.micro).toMatchObject({
      cryptoVerify: op,
      joseJwtVerify: op,
      oursVerifyDistinct: op,
      oursVerifyCached: op,
    });

    const { client } = run.rows;
    expect(client.burst).toMatchObject({ calls: 10_000, failed: 0 });
    // Single-flight is a behaviour, not a speed: 100 concurrent callers, one token request.
    expect(client.burstTokenRequests).toBe(1);
    expect(client.latency.passes[0].sequential.client.calls).toBeGreaterThan(0);

    // Every target of the issue is reported, met or not (a smoke run's figures mean nothing).
    const names = run.derived.targets.map((target: { name: string }) => target.name).join('\n');
    for (const target of [
      'token endpoint RS256',
      'token endpoint EdDSA',
      'distinct tokens (cache off), Fastify 5',
      'distinct tokens (cache off), Express 5',
      'Express 5 minus on Fastify 5',
      'one token repeated (cache on), Fastify 5',
      'one token repeated (cache on), Express 5',
      'Fastify 5: revocation feed on / off',
      'Express 5: revocation feed on / off',
      'resident memory per cached token',
      'client: token requests',
    ]) {
      expect(names).toContain(target);
    }
    for (const heading of [
      '## Targets',
      '## 1. Token endpoint',
      '## 2. Verification',
      '## Memory',
      '## 3. Client',
    ]) {
      expect(stdout).toContain(heading);
    }
  }, 300_000);
});
