/**
 * What a failed command prints: the message, then the error's `ERR_…` code (the key into ERRORS.md
 * and docs/troubleshooting.md), or one JSON object with `--json`; and `serve`'s listen options are
 * refused by name before anything is created.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliProcess } from './helpers/run-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function emptyDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'm2m-auth-cli-errors-')));
  dirs.push(dir);
  return dir;
}

const errorsDoc = readFileSync(join(import.meta.dirname, '..', 'ERRORS.md'), 'utf8');

describe('a failed command', () => {
  it('ends its message with the error code that ERRORS.md lists', async () => {
    const dir = emptyDir();
    const result = await runCliProcess(['client', 'list'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^m2m-auth: error: there is no SQLite database at .+ \[ERR_DATABASE_NOT_FOUND\]\n$/,
    );
    expect(errorsDoc).toContain('`ERR_DATABASE_NOT_FOUND`');
  });

  it('prints one JSON object with the code and the message under --json', async () => {
    const dir = emptyDir();
    const result = await runCliProcess(['client', 'list', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    const printed = JSON.parse(result.stderr) as { error: { code: string; message: string } };
    expect(printed.error.code).toBe('ERR_DATABASE_NOT_FOUND');
    expect(printed.error.message).toMatch(/^there is no SQLite database at /);
  });
});

describe('--version', () => {
  it("prints the installed package's version and exits 0", async () => {
    const manifest = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
    ) as { version: string };
    const result = await runCliProcess(['--version'], { cwd: emptyDir() });
    expect(result).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });
});

describe('serve', () => {
  it.each([
    [['--issuer', 'not-a-url'], /--issuer: issuer is not a valid URL/],
    [['--issuer', 'http://auth.example/?tenant=1'], /--issuer: .*query or fragment/],
    [['--host', '0.0.0.0.0'], /--host "0\.0\.0\.0\.0" is neither an IP address nor a host name/],
    [['--trust-proxy', 'not-an-ip'], /--trust-proxy "not-an-ip" is not an IP address, a CIDR/],
    [['--trust-proxy', '10.0.0.0/33'], /--trust-proxy "10\.0\.0\.0\/33"/],
    [['--port', '18181', '--admin-port', '18181'], /--admin-port 18181 is also --port/],
  ])('refuses %j by its option name, before creating anything', async (args, message) => {
    const dir = emptyDir();
    const result = await runCliProcess(
      ['serve', '--database', `sqlite:${join(dir, 'm2m-auth.db')}`, ...args],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/\[ERR_CLI_USAGE\]\n$/);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'm2m-auth.db'))).toBe(false);
  });
});
