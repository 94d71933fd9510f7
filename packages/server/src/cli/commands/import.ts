import { type Command, Option } from 'commander';
import {
  importPassportClients,
  type PassportImportEntry,
  type PassportImportReport,
} from '../../passport/import-passport-clients.js';
import { readManifest } from '../../provision/read-manifest.js';
import type { AccessTokenFormat } from '../../tokens/token-types.js';
import { commandAction } from '../internal/command-action.js';
import { collectRename, parseList } from '../internal/option-parsers.js';
import { examples, formatTable } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';

interface ImportPassportOptions {
  from: string;
  manifest?: string;
  audiences?: string[];
  scopes?: string[];
  name?: Record<string, string>;
  tokenFormat: AccessTokenFormat;
  dryRun?: boolean;
}

/**
 * Registers `m2m-auth import passport`: adopts Laravel Passport's machine clients with their ids
 * and secrets (see `importPassportClients`).
 */
export function registerImportCommand(program: Command): void {
  const command = program
    .command('import')
    .description('adopt clients from another authorization server');
  addStoreOptions(
    command
      .command('passport')
      .description(
        "adopt Laravel Passport's machine clients (client_credentials) from the Laravel database, " +
          'keeping their client ids and secrets; other clients are listed as skipped',
      )
      .requiredOption(
        '--from <database-url>',
        'the Laravel database: mysql://user:pass@host:3306/db (or mariadb://), postgres://…, sqlite:/path/database.sqlite',
      )
      .option(
        '--manifest <file>',
        'services manifest: a service named like a Passport client (or with passport_client: <id>) gives it its name, audiences and scopes',
      )
      .option('--audiences <list>', 'audiences of clients the manifest does not cover', parseList)
      .option('--scopes <list>', 'scopes of clients the manifest does not cover', parseList)
      .option(
        '--name <id=name>',
        'name the Passport client <id> (or <name>) <name> here; repeatable',
        collectRename,
      )
      .addOption(
        new Option(
          '--token-format <format>',
          'token shape of the new clients: passport (unchanged receivers keep working) or rfc9068',
        )
          .choices(['passport', 'rfc9068'])
          .default('passport'),
      )
      .option('--dry-run', 'print the plan; change nothing'),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth import passport --from mysql://laravel:secret@127.0.0.1:3306/laravel --manifest services.yaml --dry-run',
        'm2m-auth import passport --from sqlite:/srv/laravel/database/database.sqlite --name 6=ms_billing --audiences ms_doctor',
      ),
    )
    .action(
      commandAction(async ({ out, withStore }, opts: ImportPassportOptions) => {
        const manifest =
          opts.manifest === undefined ? undefined : await readManifest(opts.manifest);
        const report = await withStore((store) =>
          importPassportClients(store, {
            from: opts.from,
            ...(manifest !== undefined ? { manifest } : {}),
            ...(opts.audiences !== undefined ? { audiences: opts.audiences } : {}),
            ...(opts.scopes !== undefined ? { scopes: opts.scopes } : {}),
            ...(opts.name !== undefined ? { names: opts.name } : {}),
            tokenFormat: opts.tokenFormat,
            dryRun: opts.dryRun === true,
          }),
        );
        out.data(report);
        out.text(...formatReport(report));
      }),
    );
}

function formatReport(report: PassportImportReport): string[] {
  const counts = (action: PassportImportEntry['action']) =>
    report.entries.filter((e) => e.action === action).length;
  const rows = report.entries.map((e) =>
    e.action === 'skip'
      ? [e.action, e.passportId, e.passportName, '-', '-', '-', e.reason]
      : [
          e.action === 'update' ? `update (${e.changed.join(',')})` : e.action,
          e.passportId,
          e.name,
          e.audiences.join(',') || '-',
          e.scopes.join(',') || '-',
          e.revoked ? 'revoked' : 'active',
          `secret ${e.secret}`,
        ],
  );
  return [
    `${report.dryRun ? 'Plan (dry run, nothing written)' : 'Imported'} from Laravel Passport ${report.version}:`,
    ...formatTable([
      ['ACTION', 'PASSPORT_ID', 'NAME', 'AUDIENCES', 'SCOPES', 'STATUS', 'NOTE'],
      ...rows,
    ]),
    '',
    `${counts('create')} to create, ${counts('update')} to update, ${counts('unchanged')} unchanged, ${counts('skip')} skipped.`.replace(
      /to (create|update)/g,
      report.dryRun ? 'to $1' : '$1d',
    ),
    ...(report.dryRun
      ? []
      : [
          'Callers keep their OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET. Bcrypt/argon2id hashes are replaced at each client\'s first token request (see "m2m-auth client list").',
        ]),
  ];
}
