import type { Command } from 'commander';
import type { Store } from '../../store/types.js';

/** Database used when neither `--database` nor `DATABASE_URL` is given. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/m2m-auth.db';

/** Options every store command takes. */
export interface StoreCommandOptions {
  /** Resolved database URL (`--database`, else `DATABASE_URL`, else the default). */
  databaseUrl: string;
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
  return {
    databaseUrl: opts.database || env['DATABASE_URL'] || DEFAULT_DATABASE_URL,
    json: opts.json === true,
  };
}

/** Opens the store for one command, runs `fn`, and always closes it. */
export async function withStore<T>(
  options: StoreCommandOptions,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  // Loaded on demand so that --help and usage errors answer without loading the database stack.
  const { openStore } = await import('../../store/open-store.js');
  const store = await openStore({ databaseUrl: options.databaseUrl });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
