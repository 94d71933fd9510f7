import type { Command } from 'commander';
import type { Store } from '../../app/store.js';
import { createOutput, type Output } from './output.js';
import {
  type StoreAccess,
  type StoreCommandOptions,
  storeOptionsOf,
  withStore,
} from './store-options.js';

/** What every command's action gets: its options, its output, and the store on demand. */
export interface CommandContext {
  /** The command, for commander's own calls (e.g. `cmd.error`). */
  readonly cmd: Command;
  /** `--database` (else `DATABASE_URL`, else the default) and `--json`. */
  readonly options: StoreCommandOptions;
  /** Text or JSON on stdout, as `--json` says. */
  readonly out: Output;
  /**
   * Opens the store, runs `fn`, and always closes it (see `withStore`): `existing` refuses a
   * database that is not there, `create` (default) creates it and says where.
   */
  withStore<T>(fn: (store: Store) => Promise<T>, access?: StoreAccess): Promise<T>;
}

/**
 * The one shape of a CLI command: wraps `run` as a commander action that resolves the store
 * options, creates the output, and hands over a `withStore` bound to them. `run` gets the
 * command's arguments and options as commander passes them, without the trailing Command.
 * Errors propagate to `runCli`, which prints them and maps them to an exit status
 * (`CLI_EXIT_CODES`): the commands themselves never print an error or pick an exit code.
 *
 * @example
 * ```ts
 * command.action(
 *   commandAction(async ({ out, withStore }, jti: string) => {
 *     const entry = await withStore((store) => store.revocations.revokeToken(jti));
 *     out.text(`Revoked ${entry.jti}`);
 *   }),
 * );
 * ```
 */
export function commandAction<Args extends unknown[]>(
  run: (context: CommandContext, ...args: Args) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const cmd = args[args.length - 1] as Command;
    const options = storeOptionsOf(cmd);
    const context: CommandContext = {
      cmd,
      options,
      out: createOutput(options.json),
      withStore: (fn, access) => withStore(options, fn, access),
    };
    await run(context, ...(args.slice(0, -1) as Args));
  };
}
