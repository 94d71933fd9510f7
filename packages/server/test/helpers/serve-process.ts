/**
 * `m2m-auth serve` and the other CLI commands as subprocesses of the compiled CLI (the vitest
 * global setup builds dist/), for tests where the point is the system: several instances, a
 * database that goes away.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { basicAuth } from './auth-server.js';
import { CLI_BIN } from './run-cli.js';

/** A running `m2m-auth serve`. */
export interface ServeProcess {
  child: ChildProcess;
  /** Base URL it listens on. */
  url: string;
  stderr(): string;
  /** JSON log lines (pino) written so far. */
  stdout(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `m2m-auth serve --port 0 …args` and resolves once it says where it listens. */
export function startServeProcess(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; startTimeoutMs?: number },
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--port', '0', ...args], {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async (graceMs = 10_000) => {
    if (alive()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return child.exitCode;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start:\n${stderr}`));
    }, options.startTimeoutMs ?? 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1],
          stderr: () => stderr,
          stdout: () => stdout,
          exited,
          alive,
          stop,
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${stderr}`));
    });
  });
}

/** Runs one CLI command; rejects with its stderr when it fails. Resolves to stdout. */
export function runCli(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env: options.env, cwd: options.cwd, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`m2m-auth ${args.join(' ')} failed: ${stderr || error}`));
        else resolve(stdout);
      },
    );
  });
}

/** Runs a CLI command with `--json` and parses its output. */
export async function runCliJson<T>(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<T> {
  // Before a "--" (after which everything is an operand, e.g. a kid that begins with "-").
  const end = args.indexOf('--');
  const withJson =
    end === -1 ? [...args, '--json'] : [...args.slice(0, end), '--json', ...args.slice(end)];
  return JSON.parse(await runCli(withJson, options)) as T;
}

/** POST /oauth/token with client_secret_basic; `timeoutMs` aborts a request that hangs. */
export function requestToken(
  url: string,
  credentials: { clientId: string; clientSecret: string },
  options: { scope?: string; timeoutMs?: number } = {},
): Promise<Response> {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (options.scope !== undefined) body.set('scope', options.scope);
  return fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(credentials.clientId, credentials.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
}

/**
 * Temporary folders and serve processes of one test file: after each test the processes are
 * stopped, then the folders removed. Call it at the top level of a test file (it registers an
 * `afterEach`); push every started server onto `servers`.
 */
export function scratchArea(prefix: string): { tempDir(): string; servers: ServeProcess[] } {
  const dirs: string[] = [];
  const servers: ServeProcess[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    servers,
    tempDir() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}
