import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Store } from '../../app/store.js';
import { parseDatabaseUrl } from '../../store/internal/database-url.js';
import { StoreError } from '../../store/store-error.js';

/** Database used when neither `--database` nor `DATABASE_URL` is given. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/m2m-auth.db';

/** Options every store command takes. */
export interface StoreCommandOptions {
  /** Resolved database URL (`--database`, else `DATABASE_URL`, else the default). */
  databaseUrl: string;
  /** Where `databaseUrl` came from, for messages about a database that is not there. */
  databaseUrlSource: 'option' | 'env' | 'default';
  /** `--json`: machine-readable output. */
  json: boolean;
}

/**
 * Adds `--database <url>` and `--json` to a command. They are also program-wide options, so they
 * may come before or after the command name; this makes them show in the command's own --help.
 */
export function addStoreOptions(command: Command): Command {
  return command
    .option(
      '--database <url>',
      `database URL: sqlite:<path>, postgres://… or postgresql://… (env DATABASE_URL; default ${DEFAULT_DATABASE_URL})`,
    )
    .option('--json', 'print JSON instead of text');
}

/** Reads the store options of a command (its own and the program's). */
export function storeOptionsOf(
  command: Command,
  env: Readonly<Record<string, string | undefined>> = process.env,
): StoreCommandOptions {
  const opts = command.optsWithGlobals<{ database?: string; json?: boolean }>();
  const fromEnv = env['DATABASE_URL'];
  return {
    databaseUrl: opts.database || fromEnv || DEFAULT_DATABASE_URL,
    databaseUrlSource: opts.database ? 'option' : fromEnv ? 'env' : 'default',
    json: opts.json === true,
  };
}

/**
 * Whether a command may create the database: `existing` commands (the read-only list, show,
 * export, audit, and those that act on a client or key that must already be there) refuse one that
 * does not exist, so that a command run in the wrong folder leaves no empty database behind;
 * `create` commands create it, and say where.
 */
export type StoreAccess = 'existing' | 'create';

/**
 * Opens the store for one command, runs `fn`, and always closes it.
 *
 * @param access `existing`: a database that does not exist is an error (`ERR_DATABASE_NOT_FOUND`)
 *   naming its path and `DATABASE_URL`; `create` (default): it is created, and stderr says where.
 */
export async function withStore<T>(
  options: StoreCommandOptions,
  fn: (store: Store) => Promise<T>,
  access: StoreAccess = 'create',
): Promise<T> {
  // Loaded on demand so that --help and usage errors answer without loading the database stack.
  const { openStore } = await import('../../app/open-store.js');
  const newFile = newSqliteFile(options.databaseUrl);
  let store: Store;
  try {
    store = await openStore({ databaseUrl: options.databaseUrl, mustExist: access === 'existing' });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'ERR_DATABASE_NOT_FOUND') {
      throw new StoreError(
        'ERR_DATABASE_NOT_FOUND',
        `${err.message} (${describeSource(options)}); this command creates no database: run it where the database is, or set DATABASE_URL (or --database) to it`,
      );
    }
    throw err;
  }
  if (newFile !== undefined) {
    process.stderr.write(`m2m-auth: created a new SQLite database at ${newFile}\n`);
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * The SQLite file that opening `databaseUrl` would create (it does not exist yet), so that the
 * command can say where it created the database; undefined for an existing file or PostgreSQL.
 */
export function newSqliteFile(databaseUrl: string): string | undefined {
  const location = parseDatabaseUrl(databaseUrl);
  return location.dialect === 'sqlite' && location.path !== ':memory:' && !existsSync(location.path)
    ? location.path
    : undefined;
}

/** Where the database URL came from, in words. */
function describeSource(options: StoreCommandOptions): string {
  switch (options.databaseUrlSource) {
    case 'option':
      return 'from --database';
    case 'env':
      return 'from DATABASE_URL';
    default:
      return `DATABASE_URL is not set, so the default ${DEFAULT_DATABASE_URL} in ${process.cwd()}`;
  }
}
