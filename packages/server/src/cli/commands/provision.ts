import { type Command, Option } from 'commander';
import { checkPlanOptions } from '../../provision/compute-provision-plan.js';
import { formatProvisionReport } from '../../provision/format-provision-report.js';
import { checkEnvDirWritable } from '../../provision/internal/check-env-dir-writable.js';
import { provisionServices } from '../../provision/provision-services.js';
import { readManifest } from '../../provision/read-manifest.js';
import { resolveEndpoints } from '../../provision/resolve-endpoints.js';
import type { SigningAlg } from '../../tokens/token-types.js';
import { CLI_EXIT_CODES } from '../exit-codes.js';
import { commandAction } from '../internal/command-action.js';
import { collectServiceName, parseSeconds } from '../internal/option-parsers.js';
import { examples } from '../internal/output.js';
import { addStoreOptions, newSqliteFile, withStore } from '../internal/store-options.js';

/** The store a dry run plans against when the SQLite file does not exist: nothing is created. */
const EMPTY_STORE_URL = 'sqlite::memory:';

/** Folder of the `.env` files when `--env-dir` is not given. */
export const DEFAULT_ENV_DIR = './env';

/**
 * Exit status of a provisioning run that changed the store but could not write every `.env` (an
 * existing client's secret is unknown: see the warnings). 0 is complete, 1 an error (nothing changed).
 */
export const EXIT_INCOMPLETE = CLI_EXIT_CODES.INCOMPLETE;

interface ProvisionCommandOptions {
  envDir: string;
  authUrl?: string;
  issuer?: string;
  jwksUrl?: string;
  dryRun?: boolean;
  prune?: boolean;
  rotateSecrets?: boolean;
  rotateSecret?: string[];
  replaceRevoked?: string[];
  secretGraceSec?: number;
  alg: SigningAlg;
  publicKeyPath?: string;
}

/**
 * Registers `m2m-auth provision <manifest>`: makes the store and an env folder match a manifest of
 * services (clients, scopes, audiences, a signing key, one `.env` per service). See
 * `provisionServices` for the rules, `examples/hospital/services.yaml` for the format.
 */
export function registerProvisionCommand(program: Command): void {
  const command = program
    .command('provision')
    .summary('create or update the clients of a manifest of services and write their .env files')
    .description(
      'Make the store match a manifest (YAML or JSON) of services: create the clients of the ' +
        'calling services, update changed ones, leave the rest alone; generate a signing key if ' +
        'none is active; write <env-dir>/<service>.env (mode 0600) and <env-dir>/oauth-public.key. ' +
        'A manifest error changes nothing. Secrets are stored hashed: an existing client whose .env ' +
        `is missing is reported (exit ${EXIT_INCOMPLETE}), not given a new secret, unless ` +
        '--rotate-secret names it or --rotate-secrets is given. A calling service whose client ' +
        'was revoked is refused (nothing changes) unless --replace-revoked names it. Checks that ' +
        'need no database run first; a dry run with no database plans against an empty one and ' +
        'creates none.',
    )
    .argument('<manifest>', 'manifest file (YAML or JSON)')
    .option('--env-dir <dir>', 'folder of the .env files', DEFAULT_ENV_DIR)
    .option('--auth-url <url>', 'base URL of the authorization server (overrides auth_url)')
    .option(
      '--issuer <url>',
      'issuer the services expect (overrides issuer; default: the base URL)',
    )
    .option('--jwks-url <url>', 'JWKS URL for the services (overrides jwks_url)')
    .option(
      '--public-key-path <path>',
      "OAUTH_PUBLIC_KEY_PATH for receivers, as they will see it (e.g. /srv/keys/jwks.json kept current by 'serve --publish-keys /srv/keys'); default <env-dir>/jwks.json as given",
    )
    .option('--dry-run', 'print the plan; change neither the store nor any file')
    .option('--prune', 'revoke active clients the manifest does not describe (except keep:)')
    .option('--rotate-secrets', 'issue new secrets to every existing client of the manifest')
    .option(
      '--rotate-secret <service>',
      'issue a new secret to this client (repeatable)',
      collectServiceName,
    )
    .option(
      '--replace-revoked <service>',
      'give this service, whose client was revoked, a new client of the same name, audiences and scopes (new client_id and secret); the revoked one is kept, renamed <service>.revoked-<time>, its tokens still refused (repeatable)',
      collectServiceName,
    )
    .option(
      '--secret-grace-sec <sec>',
      'seconds a rotated secret stays accepted (default 0: at once rejected)',
      parseSeconds,
    )
    .addOption(
      new Option('--alg <alg>', 'algorithm of the signing key generated when none is active')
        .choices(['RS256', 'ES256', 'EdDSA'])
        .default('RS256'),
    );
  addStoreOptions(command)
    .addHelpText(
      'after',
      examples(
        'm2m-auth provision examples/hospital/services.yaml --dry-run',
        'm2m-auth provision examples/hospital/services.yaml --env-dir ./env --auth-url http://127.0.0.1:8080',
        'm2m-auth provision services.yaml --prune --rotate-secret ms_admin --json',
        'm2m-auth provision services.yaml --env-dir ./env --replace-revoked ms_lab',
      ),
    )
    .action(
      commandAction(
        async ({ out, cmd, options }, manifestPath: string, opts: ProvisionCommandOptions) => {
          const dryRun = opts.dryRun === true;
          const provisionOptions = {
            envDir: opts.envDir,
            authUrl: opts.authUrl,
            issuer: opts.issuer,
            jwksUrl: opts.jwksUrl,
            dryRun,
            prune: opts.prune === true,
            rotateSecrets: opts.rotateSecrets ? true : (opts.rotateSecret ?? false),
            replaceRevoked: opts.replaceRevoked ?? [],
            secretGraceSec: opts.secretGraceSec ?? 0,
            keyAlg: opts.alg,
            ...(opts.publicKeyPath === undefined ? {} : { publicKeyPath: opts.publicKeyPath }),
          };
          // Everything that can be refused without the store is checked before it is opened, so
          // that a refused run leaves no new database behind.
          const manifest = await readManifest(manifestPath);
          resolveEndpoints(manifest, provisionOptions);
          checkPlanOptions(manifest, provisionOptions);
          if (!dryRun) await checkEnvDirWritable(opts.envDir);
          // A dry run creates nothing: with no database yet, it plans against an empty one in memory.
          const missing = dryRun ? newSqliteFile(options.databaseUrl) : undefined;
          if (missing !== undefined) {
            process.stderr.write(
              `m2m-auth: no database at ${missing} yet: planning against an empty store (dry run: no database is created)\n`,
            );
          }
          const storeOptions =
            missing === undefined ? options : { ...options, databaseUrl: EMPTY_STORE_URL };
          const report = await withStore(storeOptions, (store) =>
            provisionServices(store, manifest, provisionOptions),
          );
          out.data(report);
          out.text(formatProvisionReport(report).trimEnd());
          if (!out.json) {
            for (const warning of report.warnings)
              process.stderr.write(`m2m-auth: warning: ${warning}\n`);
          }
          if (!report.complete) {
            const skipped = report.files.filter((f) => f.action === 'skip').map((f) => f.service);
            cmd.error(
              `incomplete: not written, secret unknown: ${skipped.join(', ')} (see --rotate-secret)`,
              { exitCode: EXIT_INCOMPLETE, code: 'm2m-auth.provision.INCOMPLETE' },
            );
          }
        },
      ),
    );
}
