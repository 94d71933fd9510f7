#!/usr/bin/env node
// Checks the three packages as the registry would ship them: packs each once (`npm pack`, after
// `tsc -b`), then lints every tarball with publint (package.json fields, exports, files) and
// @arethetypeswrong/cli (types resolve for every `exports` entry). Profile `esm-only`: the packages
// are ESM only and need Node >= 20.19, so CommonJS and node10 resolution are out of scope.
// Runs offline (no DefinitelyTyped lookup) and checks the tarballs in parallel, to stay fast.
//   node scripts/check-packages.js
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const packages = ['packages/server', 'packages/verifier', 'packages/client'];

const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-pack-'));
let failed = false;
try {
  const workspaces = packages.flatMap((p) => ['-w', p]);
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dir, ...workspaces],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const packed = JSON.parse(stdout).map((entry) => ({
    name: entry.name,
    tarball: join(dir, entry.filename),
  }));
  const checks = packed.flatMap(({ name, tarball }) => [
    { name, tool: 'publint', args: [bin('publint'), ['run', tarball, '--strict']] },
    {
      name,
      tool: 'attw',
      args: [
        bin('attw'),
        [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--no-color'],
      ],
    },
  ]);
  const results = await Promise.all(
    checks.map(async ({ name, tool, args: [file, args] }) => {
      try {
        await run(file, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
        return { name, tool, ok: true, output: '' };
      } catch (err) {
        return { name, tool, ok: false, output: `${err.stdout ?? ''}${err.stderr ?? err.message}` };
      }
    }),
  );
  for (const { name, tool, ok, output } of results) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${tool} ${name}`);
    if (!ok) {
      failed = true;
      console.log(output);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
