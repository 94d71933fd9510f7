import type { Command } from 'commander';
import { createOutput, examples } from '../internal/output.js';
import { addStoreOptions, storeOptionsOf, withStore } from '../internal/store-options.js';

/** Registers `m2m-auth migrate`: brings the database schema up to date (every command also does). */
export function registerMigrateCommand(program: Command): void {
  addStoreOptions(
    program
      .command('migrate')
      .description('create or upgrade the database schema (safe to run any time)'),
  )
    .addHelpText('after', examples('m2m-auth migrate --database postgres://m2m@db:5432/m2m_auth'))
    .action(async (_opts: unknown, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      const out = createOutput(options.json);
      const revision = await withStore(options, (store) => store.revision());
      out.data({ migrated: true, revision });
      out.text(`The database schema is up to date (store revision ${revision}).`);
    });
}
