/**
 * Runs the compiled CLI (`node packages/server/bin/m2m-auth.js …`) as a subprocess, as users do.
 * The vitest global setup builds dist/ first.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';

export const CLI_BIN = join(import.meta.dirname, '..', '..', 'bin', 'm2m-auth.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * @param args CLI arguments
 * @param options cwd; env added to a copy of process.env without DATABASE_URL and M2M_AUTH_KEK
 *   (with `onlyPath`, to an environment holding only PATH, as a fresh shell in that folder would)
 */
export function runCliProcess(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; onlyPath?: boolean },
): Promise<CliResult> {
  const base = options.onlyPath === true ? { PATH: process.env['PATH'] ?? '' } : process.env;
  const env: NodeJS.ProcessEnv = { ...base, ...options.env };
  if (options.env?.['DATABASE_URL'] === undefined) delete env['DATABASE_URL'];
  if (options.env?.['M2M_AUTH_KEK'] === undefined) delete env['M2M_AUTH_KEK'];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { cwd: options.cwd, env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A SQLite database that `commands` (CLI arguments after `--database`) set up once, on first use,
 * shared by a file's failing-command cases; removed after the file's tests. Call it at the top
 * level of a test file (it registers an `afterAll`).
 *
 * @returns a function that resolves to the database's folder and file.
 */
export function sharedCliDatabase(
  commands: readonly (readonly string[])[],
): () => Promise<{ dir: string; file: string }> {
  let shared: Promise<{ dir: string; file: string }> | undefined;
  afterAll(async () => {
    if (shared) rmSync((await shared).dir, { recursive: true, force: true });
  });
  return () => {
    shared ??= (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-cli-fail-'));
      const file = join(dir, 'auth.db');
      for (const args of commands) {
        await runCliProcess(['--database', `sqlite:${file}`, ...args], { cwd: dir });
      }
      return { dir, file };
    })();
    return shared;
  };
}

/** Every row of every table of a SQLite database, as one string, to compare before/after. */
export function dumpSqlite(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' order by name")
      .all() as { name: string }[];
    return JSON.stringify(
      tables.map(({ name }) => [name, db.prepare(`select * from "${name}" order by rowid`).all()]),
    );
  } finally {
    db.close();
  }
}
