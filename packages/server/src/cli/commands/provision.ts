import { type Command, Option } from 'commander';
import { formatProvisionReport } from '../../provision/format-provision-report.js';
import { provisionServices } from '../../provision/provision-services.js';
import { readManifest } from '../../provision/read-manifest.js';
import type { SigningAlg } from '../../tokens/token-types.js';
import { CLI_EXIT_CODES } from '../exit-codes.js';
import { commandAction } from '../internal/command-action.js';
import { collectServiceName, parseSeconds } from '../internal/option-parsers.js';
import { examples } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';

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
        '--rotate-secret names it or --rotate-secrets is given.',
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
      ),
    )
    .action(
      commandAction(
        async ({ out, cmd, withStore }, manifestPath: string, opts: ProvisionCommandOptions) => {
          // Read and validate the manifest before opening the store: a bad manifest touches nothing.
          const manifest = await readManifest(manifestPath);
          const report = await withStore((store) =>
            provisionServices(store, manifest, {
              envDir: opts.envDir,
              authUrl: opts.authUrl,
              issuer: opts.issuer,
              jwksUrl: opts.jwksUrl,
              dryRun: opts.dryRun === true,
              prune: opts.prune === true,
              rotateSecrets: opts.rotateSecrets ? true : (opts.rotateSecret ?? false),
              secretGraceSec: opts.secretGraceSec ?? 0,
              keyAlg: opts.alg,
              ...(opts.publicKeyPath === undefined ? {} : { publicKeyPath: opts.publicKeyPath }),
            }),
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
