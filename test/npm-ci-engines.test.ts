/**
 * `npm ci` prints no engine warning: every package the lockfile installs accepts the Node.js
 * version running the tests (Node 20.19 or later, what the packages' `engines` say). Checked with
 * a dry run on a copy of the manifests, so the repository's node_modules are not touched.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const NPM = join(dirname(process.execPath), 'npm');
const work = mkdtempSync(join(tmpdir(), 'm2m-auth-npm-ci-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm ci', () => {
  it('installs the lockfile without an engine warning on this Node.js', async () => {
    for (const file of [
      'package.json',
      'package-lock.json',
      'packages/server/package.json',
      'packages/verifier/package.json',
      'packages/client/package.json',
    ]) {
      mkdirSync(dirname(join(work, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(work, file));
    }
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!/^npm_/i.test(name)) env[name] = value;
    }
    const { stdout, stderr } = await promisify(execFile)(
      NPM,
      ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: work, env, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(`${stdout}${stderr}`).not.toMatch(/EBADENGINE|Unsupported engine/);
  });
});
