import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProvisionWorkspace, type ProvisionWorkspace } from './helpers/provision-fixture.js';
import { type CliResult, runCliProcess } from './helpers/run-cli.js';

/** Runs the installed `m2m-auth` executable (compiled dist/) as a separate process. */
function m2mAuth(args: string[], cwd: string): Promise<CliResult> {
  return runCliProcess(args, { cwd, onlyPath: true });
}

let ws: ProvisionWorkspace;
beforeEach(() => {
  ws = createProvisionWorkspace();
});
afterEach(() => ws.remove());

describe('the m2m-auth executable', () => {
  it('provisions the hospital into ./env and ./data by default, and exits 0', async () => {
    const run = await m2mAuth(['provision', ws.manifest], ws.dir);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Provisioned');
    expect(statSync(join(ws.dir, 'env', 'ms_admin.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(ws.dir, 'data', 'm2m-auth.db')).isFile()).toBe(true);
  });

  it('exits 3 when an existing client has lost its .env, and 1 on a manifest error', async () => {
    const args = ['provision', ws.manifest, '--database', ws.databaseUrl, '--env-dir', ws.envDir];
    expect((await m2mAuth(args, ws.dir)).code).toBe(0);
    rmSync(join(ws.envDir, 'ms_admin.env'));
    const incomplete = await m2mAuth(args, ws.dir);
    expect(incomplete.code).toBe(3);
    expect(incomplete.stderr).toContain(
      'm2m-auth: incomplete: not written, secret unknown: ms_admin',
    );

    ws.writeManifest('services:\n  ms_admin:\n    calls: { ms_ghost: [x] }\n');
    const invalid = await m2mAuth(args, ws.dir);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('services.yaml:3:14: services.ms_admin.calls.ms_ghost');
  });
});
