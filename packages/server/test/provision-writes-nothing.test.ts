/**
 * "Write nothing": a dry run, and every provision refused for a reason that needs no store, leave
 * no database (and no env folder) behind. Run as users do, with the real executable in a folder
 * that holds only the manifest.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProvisionWorkspace, type ProvisionWorkspace } from './helpers/provision-fixture.js';
import { type CliResult, runCliProcess } from './helpers/run-cli.js';

/** Runs the `m2m-auth` executable in `cwd` with no DATABASE_URL set. */
function m2mAuth(args: string[], cwd: string): Promise<CliResult> {
  return runCliProcess(args, { cwd, onlyPath: true });
}

let ws: ProvisionWorkspace;
beforeEach(() => {
  ws = createProvisionWorkspace();
});
afterEach(() => ws.remove());

/** The folder still holds only the manifest (and what the test put there itself). */
function expectOnly(...names: string[]): void {
  expect(readdirSync(ws.dir).sort()).toEqual(['services.yaml', ...names].sort());
}

describe('provision that must write nothing', () => {
  it('--dry-run in an empty folder plans against an empty store and creates no database', async () => {
    const run = await m2mAuth(
      ['provision', 'services.yaml', '--env-dir', './env', '--dry-run'],
      ws.dir,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(dry run: nothing was changed)');
    expect(run.stdout).toMatch(/\+ ms_admin\s+would create/);
    expect(run.stderr).toContain(
      `no database at ${join(ws.dir, 'data', 'm2m-auth.db')} yet: planning against an empty store`,
    );
    expect(run.stderr).not.toContain('created a new SQLite database');
    expectOnly();
  });

  it('--dry-run --json with --database naming a missing file creates nothing either', async () => {
    const run = await m2mAuth(
      [
        'provision',
        'services.yaml',
        '--env-dir',
        './env',
        '--dry-run',
        '--json',
        '--database',
        'sqlite:./other.db',
      ],
      ws.dir,
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { dryRun: boolean; storeChanges: number };
    expect(report.dryRun).toBe(true);
    expect(report.storeChanges).toBeGreaterThan(0);
    expectOnly();
  });

  it('no auth_url and no --auth-url: refused before the database is created', async () => {
    const text = readFileSync(ws.manifest, 'utf8').replace(/^auth_url:.*$/m, '');
    expect(text).not.toMatch(/^auth_url:/m);
    ws.writeManifest(text);
    for (const extra of [[], ['--dry-run']]) {
      const run = await m2mAuth(
        ['provision', 'services.yaml', '--env-dir', './env', ...extra],
        ws.dir,
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("the authorization server's URL is not set");
      expect(run.stderr).not.toContain('created a new SQLite database');
      expectOnly();
    }
  });

  it('a bad --rotate-secret or --replace-revoked name: refused before the database is created', async () => {
    const rotate = await m2mAuth(
      ['provision', 'services.yaml', '--rotate-secret', 'ms_college'],
      ws.dir,
    );
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toContain('cannot rotate the secret of ms_college');
    const replace = await m2mAuth(
      ['provision', 'services.yaml', '--replace-revoked', 'ms_ghost'],
      ws.dir,
    );
    expect(replace.code).toBe(1);
    expect(replace.stderr).toContain('cannot replace the client of ms_ghost');
    expectOnly();
  });

  it('an --env-dir that cannot be written: refused before the database is created', async () => {
    writeFileSync(join(ws.dir, 'not-a-folder'), 'x');
    const run = await m2mAuth(
      ['provision', 'services.yaml', '--env-dir', './not-a-folder/env'],
      ws.dir,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot write to ${join(ws.dir, 'not-a-folder', 'env')}`);
    expectOnly('not-a-folder');
    expect(existsSync(join(ws.dir, 'data'))).toBe(false);
  });
});
