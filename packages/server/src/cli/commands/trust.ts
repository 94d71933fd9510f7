import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { DEFAULT_TRUST_MAX_LIFETIME_SEC } from '../../clients/kysely-trust-store.js';
import type { TrustedIssuer } from '../../clients/trust-store.js';
import { CliError } from '../internal/cli-error.js';
import { commandAction } from '../internal/command-action.js';
import { parseSeconds } from '../internal/option-parsers.js';
import { examples, formatTable } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';

/** Time allowed for the discovery request of `trust add --discovery`, milliseconds. */
const DISCOVERY_TIMEOUT_MS = 5_000;

/** Where each preset's issuer publishes its keys, relative to the issuer. */
const PRESET_JWKS_PATH = { kubernetes: '/openid/v1/jwks' } as const;

interface AddFlags {
  preset?: keyof typeof PRESET_JWKS_PATH;
  issuer: string;
  jwksUri?: string;
  jwksFile?: string;
  discovery?: boolean;
  audience: string;
  maxLifetime?: number;
}

/**
 * Registers `m2m-auth trust …`: add, list, remove — external issuers (e.g. a Kubernetes API
 * server) whose tokens authenticate the clients bound to their subjects
 * (`client create --federated-subject <trust>:<subject>`).
 */
export function registerTrustCommand(program: Command): void {
  const trust = program
    .command('trust')
    .description('trust an external token issuer (e.g. Kubernetes service-account tokens)')
    .addHelpText(
      'after',
      examples(
        'm2m-auth trust add cluster --issuer https://kubernetes.default.svc.cluster.local --discovery --audience m2m-auth',
        'm2m-auth trust list',
      ),
    );

  addStoreOptions(
    trust
      .command('add')
      .description('trust an issuer: its tokens, for bound subjects, authenticate clients')
      .argument('<name>', 'your name for it, used in --federated-subject <name>:<subject>')
      .requiredOption('--issuer <iss>', 'the exact iss of its tokens')
      .option(
        '--jwks-uri <url>',
        'where its public keys are (the Kubernetes API server: <issuer>/openid/v1/jwks)',
      )
      .option(
        '--jwks-file <file>',
        'its public keys as a JWK Set file (kubectl get --raw /openid/v1/jwks)',
      )
      .option('--discovery', 'read its jwks_uri from <issuer>/.well-known/openid-configuration now')
      .addOption(
        new Option(
          '--preset <kind>',
          'kubernetes: the API server issuer; without a key source its keys are at <issuer>/openid/v1/jwks',
        ).choices(Object.keys(PRESET_JWKS_PATH)),
      )
      .requiredOption(
        '--audience <aud>',
        'what its tokens must list in aud (the projected volume audience)',
      )
      .option(
        '--max-lifetime <sec>',
        `longest accepted token lifetime, seconds (default ${DEFAULT_TRUST_MAX_LIFETIME_SEC})`,
        parseSeconds,
      ),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth trust add cluster --issuer https://kubernetes.default.svc.cluster.local --jwks-file cluster-jwks.json --audience m2m-auth',
        'm2m-auth trust add cluster --preset kubernetes --issuer https://kubernetes.default.svc.cluster.local --audience m2m-auth --max-lifetime 3600',
      ),
    )
    .action(
      commandAction(async ({ out, withStore }, name: string, opts: AddFlags) => {
        const sources = [opts.jwksUri, opts.jwksFile, opts.discovery].filter(
          (v) => v !== undefined,
        );
        if (sources.length === 0 && opts.preset !== undefined) {
          opts.jwksUri = `${opts.issuer.replace(/\/+$/, '')}${PRESET_JWKS_PATH[opts.preset]}`;
          sources.push(opts.jwksUri);
        }
        if (sources.length !== 1) {
          throw new CliError(
            'ERR_CLI_USAGE',
            'give exactly one of --jwks-uri, --jwks-file and --discovery',
          );
        }
        let keySource: { jwksUri: string } | { jwks: string };
        if (opts.jwksFile !== undefined) {
          try {
            keySource = { jwks: readFileSync(opts.jwksFile, 'utf8') };
          } catch (cause) {
            const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
            throw new CliError(
              'ERR_CLI_FILE_UNREADABLE',
              `cannot read ${opts.jwksFile}: ${reason}`,
              {
                cause,
              },
            );
          }
        } else if (opts.jwksUri !== undefined) {
          keySource = { jwksUri: opts.jwksUri };
        } else {
          keySource = { jwksUri: await discoverJwksUri(opts.issuer) };
        }
        const added = await withStore((store) =>
          store.trust.add({
            name,
            issuer: opts.issuer,
            audience: opts.audience,
            ...keySource,
            ...(opts.maxLifetime === undefined ? {} : { maxLifetimeSec: opts.maxLifetime }),
          }),
        );
        out.data(trustToJson(added));
        out.text(
          `Trusted issuer ${added.name}: ${added.issuer}`,
          `  keys:         ${added.jwksUri ?? `${added.keys?.length ?? 0} in the database`}`,
          `  audience:     ${added.audience}`,
          `  max lifetime: ${added.maxLifetimeSec} s`,
          '',
          `Bind a client to one of its subjects: m2m-auth client create <name> --federated-subject ${added.name}:system:serviceaccount:<namespace>:<account>`,
        );
      }),
    );

  addStoreOptions(trust.command('list').description('list trusted issuers')).action(
    commandAction(async ({ out, withStore }, _opts: unknown) => {
      const all = await withStore((store) => store.trust.list(), 'existing');
      out.data(all.map(trustToJson));
      if (all.length === 0) {
        out.text(
          'No trusted issuers. Add one with: m2m-auth trust add <name> --issuer … --audience …',
        );
        return;
      }
      out.text(
        ...formatTable([
          ['NAME', 'ISSUER', 'AUDIENCE', 'KEYS', 'MAX_LIFETIME'],
          ...all.map((t) => [
            t.name,
            t.issuer,
            t.audience,
            t.jwksUri ?? 'inline',
            `${t.maxLifetimeSec}s`,
          ]),
        ]),
      );
    }),
  );

  addStoreOptions(
    trust
      .command('remove')
      .description(
        'stop trusting an issuer; the clients bound to its subjects can no longer authenticate',
      )
      .argument('<name>', 'trust name'),
  ).action(
    commandAction(async ({ out, withStore }, name: string, _opts: unknown) => {
      await withStore((store) => store.trust.remove(name), 'existing');
      out.data({ removed: name });
      out.text(`Removed trusted issuer ${name}.`);
    }),
  );
}

/** Reads `jwks_uri` from the issuer's OpenID discovery document (no redirects, bounded time). */
async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (cause) {
    throw new CliError(
      'ERR_CLI_USAGE',
      `discovery at ${url} failed (${(cause as Error).message}); give --jwks-uri or --jwks-file instead`,
      { cause },
    );
  }
  const found = (body as { issuer?: unknown; jwks_uri?: unknown } | null) ?? {};
  if (found.issuer !== issuer || typeof found.jwks_uri !== 'string') {
    throw new CliError(
      'ERR_CLI_USAGE',
      `discovery at ${url} does not describe issuer ${issuer} with a jwks_uri`,
    );
  }
  return found.jwks_uri;
}

function trustToJson(trust: TrustedIssuer): Record<string, unknown> {
  return {
    name: trust.name,
    issuer: trust.issuer,
    jwks_uri: trust.jwksUri,
    keys: trust.keys?.map((key) => key.kid) ?? null,
    audience: trust.audience,
    max_lifetime_sec: trust.maxLifetimeSec,
    created_at: trust.createdAt,
  };
}
