/**
 * `m2m-auth serve` configured from the environment: every flag has a variable (and the server
 * README's table lists them), a flag wins over its variable, boolean variables are read strictly,
 * `postgresql://` is a PostgreSQL URL like `postgres://`, and a port in use is one line.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_BIN } from './helpers/run-cli.js';
import { type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

const run = promisify(execFile);

let database: TestDatabase;
let env: NodeJS.ProcessEnv;
let served: ServeProcess[] = [];
let blockers: Server[] = [];

beforeEach(async () => {
  database = await createTestDatabase('sqlite');
  env = { ...process.env, M2M_AUTH_KEK: randomKek(), DATABASE_URL: database.url };
  delete env['M2M_AUTH_DEBUG'];
});
afterEach(async () => {
  for (const child of served) await child.stop();
  served = [];
  for (const blocker of blockers) await new Promise((resolve) => blocker.close(resolve));
  blockers = [];
  await database?.drop();
});

function cli(
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env: { ...env, ...extraEnv }, cwd: database.dir, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A TCP port on 127.0.0.1 held by another listener. */
async function busyPort(): Promise<number> {
  const blocker = createServer();
  blockers.push(blocker);
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('m2m-auth serve and the environment', { timeout: 90_000 }, () => {
  it('has an environment variable for every flag, and the server README lists each', async () => {
    const help = (await run(process.execPath, [CLI_BIN, 'serve', '--help'], { env })).stdout;
    const flags = [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1] as string);
    expect(flags).toContain('--port');
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    for (const flag of flags) {
      if (flag === '--help' || flag === '--json') continue;
      const line = help.split('\n').find((text) => text.startsWith(`  ${flag} `)) ?? '';
      // Commander may wrap a long description: the variable is within the option's lines.
      const block = help.slice(help.indexOf(line)).split(/\n {2}-/)[0] ?? '';
      const variable = /env:? ([A-Z][A-Z0-9_]+)/.exec(block)?.[1];
      expect(variable, `${flag} has an environment variable`).toBeDefined();
      expect(readme, `README lists ${flag}`).toMatch(
        new RegExp(`\\| \`${flag}[^|]*\` \\| \`${variable}\``),
      );
    }
  });

  it('reads PORT, HOST and M2M_AUTH_ISSUER; a flag wins over its variable', async () => {
    const taken = await busyPort();
    const server = await startServeProcess([], {
      // startServeProcess passes --port 0: it must win over PORT (a port that is taken).
      env: {
        ...env,
        PORT: String(taken),
        HOST: '127.0.0.1',
        M2M_AUTH_ISSUER: 'https://auth.example',
      },
      cwd: database.dir ?? process.cwd(),
    });
    served.push(server);
    expect(server.url).not.toBe(`http://127.0.0.1:${taken}`);
    const metadata = (await (
      await fetch(`${server.url}/.well-known/oauth-authorization-server`)
    ).json()) as { issuer: string };
    expect(metadata.issuer).toBe('https://auth.example');
  });

  it('refuses a boolean variable that is neither true nor false, before anything starts', async () => {
    const result = await cli(['serve', '--port', '0'], { M2M_AUTH_AUDIT_STORE: 'yes please' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'm2m-auth: error: M2M_AUTH_AUDIT_STORE must be true or false, not "yes please" [ERR_CLI_USAGE]',
    );
  });

  it('refuses a malformed numeric variable and names it', async () => {
    const result = await cli(['serve'], { PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("from env 'PORT' is invalid");
  });

  it('says in one line that the port is in use', async () => {
    const taken = await busyPort();
    const result = await cli(['serve', '--port', String(taken)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `m2m-auth: error: cannot listen on 127.0.0.1:${taken}: the port is already in use (EADDRINUSE) [ERR_CLI_USAGE]\n`,
    );
  });

  it.skipIf(dialectUnavailable('postgres'))('accepts postgresql:// like postgres://', async () => {
    const pgDatabase = await createTestDatabase('postgres');
    try {
      const url = pgDatabase.url.replace(/^postgres:/, 'postgresql:');
      expect(url.startsWith('postgresql://')).toBe(true);
      const migrated = await cli(['migrate'], { DATABASE_URL: url });
      expect(migrated.code, migrated.stderr).toBe(0);
      const result = await cli(['client', 'list', '--json'], { DATABASE_URL: url });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual([]);
    } finally {
      await pgDatabase.drop();
    }
  });
});
