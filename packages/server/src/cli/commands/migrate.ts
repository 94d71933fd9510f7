import type { Command } from 'commander';
import { commandAction } from '../internal/command-action.js';
import { examples } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';

/** Registers `m2m-auth migrate`: brings the database schema up to date (every command also does). */
export function registerMigrateCommand(program: Command): void {
  addStoreOptions(
    program
      .command('migrate')
      .description('create or upgrade the database schema (safe to run any time)'),
  )
    .addHelpText('after', examples('m2m-auth migrate --database postgres://m2m@db:5432/m2m_auth'))
    .action(
      commandAction(async ({ out, withStore }, _opts: unknown) => {
        const revision = await withStore((store) => store.revision());
        out.data({ migrated: true, revision });
        out.text(`The database schema is up to date (store revision ${revision}).`);
      }),
    );
}
