import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAdminCommand } from './commands/admin.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerClientCommand } from './commands/client.js';
import { registerImportCommand } from './commands/import.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerProvisionCommand } from './commands/provision.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTokenCommand } from './commands/token.js';
import { registerTrustCommand } from './commands/trust.js';
import { CLI_EXIT_CODES } from './exit-codes.js';
import { reportCliError } from './internal/report-error.js';
import { DEFAULT_DATABASE_URL } from './internal/store-options.js';

/**
 * Runs the `m2m-auth` CLI with the given arguments (without `node` and the script) and resolves to
 * the process exit status (`CLI_EXIT_CODES`): 0 on success, 1 when a command fails (printed by
 * `reportCliError`, the store left as it was), commander's code (1) for usage errors, 2 and 3 for
 * the reports that say so. Never calls `process.exit`.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['client', 'list', '--json']);
 * ```
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return CLI_EXIT_CODES.OK;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander printed the message
    return reportCliError(err, { json: program.opts()['json'] === true });
  }
}

function buildProgram(): Command {
  const program = new Command('m2m-auth')
    .description('OAuth 2.0 client_credentials authorization server for microservices')
    .option('--database <url>', `database URL (env DATABASE_URL; default ${DEFAULT_DATABASE_URL})`)
    .version(packageVersion(), '-V, --version', 'print the m2m-auth version')
    .option('--json', 'print JSON instead of text')
    .showSuggestionAfterError(true)
    .exitOverride();
  program.configureOutput({ outputError: writeUsageError });
  registerKeysCommand(program);
  registerClientCommand(program);
  registerMigrateCommand(program);
  registerServeCommand(program);
  registerTrustCommand(program);
  registerProvisionCommand(program);
  registerAuditCommand(program);
  registerImportCommand(program);
  registerTokenCommand(program);
  registerAdminCommand(program);
  // Subcommands inherit exitOverride and the output settings only when set before they are added;
  // apply both to every command registered above, whoever registered it.
  for (const command of allCommands(program)) {
    command.exitOverride();
    command.configureOutput({ outputError: writeUsageError });
  }
  return program;
}

/**
 * A kid is an RFC 7638 thumbprint, 43 base64url characters, and one in 64 begins with "-": the
 * parser then takes it for an option. Such an error says how to pass it.
 */
const KID_TAKEN_FOR_OPTION = /unknown option '(-[A-Za-z0-9_-]{42})'/;

/** Writes a usage error of the parser on one line, with a hint when a kid was taken for an option. */
function writeUsageError(message: string, write: (text: string) => void): void {
  write(`m2m-auth: ${message.trim()}\n`);
  const kid = KID_TAKEN_FOR_OPTION.exec(message)?.[1];
  if (kid !== undefined) {
    write(
      `m2m-auth: a kid that begins with "-" goes after "--", e.g. m2m-auth keys revoke -- ${kid}\n`,
    );
  }
}

function* allCommands(command: Command): Generator<Command> {
  for (const sub of command.commands) {
    yield sub;
    yield* allCommands(sub);
  }
}

/** The version of the installed `@m2m-auth/server` (its package.json, beside `dist/`). */
function packageVersion(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
