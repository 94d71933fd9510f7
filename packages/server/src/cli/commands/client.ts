import { type Command, Option } from 'commander';
import {
  clientToJson,
  clientToLines,
  publicKeysToJson,
  publicKeysToLines,
  secretsSummary,
} from '../../admin/client-view.js';
import { createClient } from '../../admin/operations/create-client.js';
import { listClients } from '../../admin/operations/list-clients.js';
import { revokeClient } from '../../admin/operations/revoke-client.js';
import { rotateClientSecret } from '../../admin/operations/rotate-client-secret.js';
import { showClient } from '../../admin/operations/show-client.js';
import { updateClient } from '../../admin/operations/update-client.js';
import { ACCESS_TOKEN_FORMATS } from '../../clients/client-rules.js';
import type { ClientPatch } from '../../clients/client-store.js';
import type { AccessTokenFormat } from '../../tokens/token-types.js';
import { CliError } from '../internal/cli-error.js';
import { commandAction } from '../internal/command-action.js';
import { parseList, parseSeconds } from '../internal/option-parsers.js';
import { examples, formatTable, formatTime } from '../internal/output.js';
import {
  addPublicKeyOptions,
  type PublicKeyFlags,
  publicKeysOf,
} from '../internal/public-key-options.js';
import { addStoreOptions } from '../internal/store-options.js';

/** Values of `--auth-method` (RFC 7591 §2 names); both secret methods register a secret. */
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/**
 * Registers `m2m-auth client …`: create, list, show, revoke, rotate-secret, update.
 * Secrets are printed only by `create` and `rotate-secret`, once.
 */
export function registerClientCommand(program: Command): void {
  const client = program
    .command('client')
    .description('manage OAuth clients (one per calling service)')
    .addHelpText(
      'after',
      examples(
        'm2m-auth client create ms_admin --audiences ms_doctor --scopes doctors:read',
        'm2m-auth client list',
      ),
    );

  addStoreOptions(
    addPublicKeyOptions(
      client
        .command('create')
        .description(
          'register a client; prints its client_id and client_secret once (no secret with private_key_jwt)',
        )
        .argument('<name>', 'unique client name, e.g. ms_admin')
        .option('--scopes <list>', 'scopes it may request, comma-separated', parseList)
        .option(
          '--audiences <list>',
          'services (audiences) it may call, comma-separated',
          parseList,
        )
        .option('--token-ttl <sec>', 'access-token lifetime, seconds (default 900)', parseSeconds)
        .option(
          '--federated-subject <trust:subject>',
          "authenticate with a trusted issuer's token for this subject, e.g. cluster:system:serviceaccount:hospital:ms-admin",
        )
        .option(
          '--allow-default-service-account',
          "allow binding a namespace's default service account (every pod without an account runs as it)",
        )
        .addOption(
          new Option(
            '--auth-method <method>',
            'how it authenticates: a secret (default) or private_key_jwt (a key only it holds)',
          ).choices(AUTH_METHODS as unknown as string[]),
        ),
      'its',
    ),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth client create ms_admin --scopes doctors:read,doctors:write --audiences ms_doctor --token-ttl 900',
        'm2m-auth client create ms_admin --audiences ms_doctor --auth-method private_key_jwt --public-key ms_admin.pub.pem',
        'm2m-auth client create ms_admin --audiences ms_doctor --auth-method private_key_jwt --jwks-uri https://keys.internal/ms_admin.json --alg ES256',
      ),
    )
    .action(
      commandAction(
        async (
          { out, withStore },
          name: string,
          opts: {
            scopes?: string[];
            audiences?: string[];
            tokenTtl?: number;
            authMethod?: (typeof AUTH_METHODS)[number];
            federatedSubject?: string;
            allowDefaultServiceAccount?: boolean;
          } & PublicKeyFlags,
        ) => {
          const keys = publicKeysOf(opts);
          const fields = {
            name,
            ...(opts.scopes !== undefined ? { scopes: opts.scopes } : {}),
            ...(opts.audiences !== undefined ? { audiences: opts.audiences } : {}),
            ...(opts.tokenTtl !== undefined ? { tokenTtlSec: opts.tokenTtl } : {}),
          };
          if (opts.federatedSubject !== undefined) {
            if (keys !== undefined || opts.authMethod !== undefined) {
              throw new CliError(
                'ERR_CLI_USAGE',
                '--federated-subject goes without --auth-method, --public-key or --jwks-uri',
              );
            }
            const colon = opts.federatedSubject.indexOf(':');
            if (colon <= 0 || colon === opts.federatedSubject.length - 1) {
              throw new CliError(
                'ERR_CLI_USAGE',
                '--federated-subject is <trust name>:<subject>, e.g. cluster:system:serviceaccount:hospital:ms-admin',
              );
            }
            const binding = {
              trustName: opts.federatedSubject.slice(0, colon),
              subject: opts.federatedSubject.slice(colon + 1),
              allowDefaultServiceAccount: opts.allowDefaultServiceAccount === true,
            };
            const created = await withStore((store) =>
              store.trust.createFederatedClient(fields, binding),
            );
            out.data({
              ...clientToJson(created),
              token_endpoint_auth_method: 'federated',
              federated_subject: opts.federatedSubject,
            });
            out.text(
              `Created client ${created.name}`,
              ...clientToLines(created),
              `  auth:       token of ${binding.trustName} for ${binding.subject}`,
              '',
              'No secret exists for this client: it presents its platform token. Give the service, e.g.:',
              `  OAUTH_CLIENT_ID=${created.clientId}`,
              '  OAUTH_CLIENT_ASSERTION_PATH=/var/run/secrets/tokens/m2m-auth-token',
            );
            return;
          }
          if (opts.allowDefaultServiceAccount === true) {
            throw new CliError(
              'ERR_CLI_USAGE',
              '--allow-default-service-account goes with --federated-subject',
            );
          }
          const method =
            opts.authMethod ?? (keys === undefined ? 'client_secret_basic' : 'private_key_jwt');
          if (method === 'private_key_jwt' && keys === undefined) {
            throw new CliError(
              'ERR_CLI_USAGE',
              'private_key_jwt needs --public-key <file> or --jwks-uri <url>',
            );
          }
          if (method !== 'private_key_jwt' && keys !== undefined) {
            throw new CliError(
              'ERR_CLI_USAGE',
              `--public-key and --jwks-uri go with --auth-method private_key_jwt, not ${method}`,
            );
          }
          if (keys !== undefined) {
            const { created, publicKeys } = await withStore(async (store) => {
              const created = await store.clients.createWithPublicKeys(fields, keys);
              const creds = await store.clients.getCredentials(created.clientId);
              return { created, publicKeys: creds?.publicKeys };
            });
            out.data({ ...clientToJson(created), ...publicKeysToJson(publicKeys) });
            out.text(
              `Created client ${created.name}`,
              ...clientToLines(created),
              ...publicKeysToLines(publicKeys),
              '',
              'No secret exists for this client: it signs a client assertion with its private key',
              '(private_key_jwt, RFC 7523). Give the calling service, e.g.:',
              `  OAUTH_CLIENT_ID=${created.clientId}`,
              '  OAUTH_CLIENT_KEY_PATH=<its private key file, mode 0600>',
            );
            return;
          }
          const {
            client: created,
            clientSecret,
            json,
          } = await withStore((store) => createClient(store, fields));
          out.data(json);
          out.text(
            `Created client ${created.name}`,
            ...clientToLines(created),
            `  client_secret: ${clientSecret}`,
            '',
            'The client secret is shown only this once and cannot be recovered (only a hash is stored).',
            'Give it to the calling service now, e.g. as:',
            `  OAUTH_CLIENT_ID=${created.clientId}`,
            `  OAUTH_CLIENT_SECRET=${clientSecret}`,
          );
        },
      ),
    );

  addStoreOptions(client.command('list').description('list clients'))
    .addHelpText('after', examples('m2m-auth client list', 'm2m-auth client list --json'))
    .action(
      commandAction(async ({ out, withStore }, _opts: unknown) => {
        const { clients, legacy, json } = await withStore(listClients, 'existing');
        out.data(json);
        if (clients.length === 0) {
          out.text(
            'No clients. Create one with: m2m-auth client create <name> --audiences <service>',
          );
          return;
        }
        out.text(
          ...formatTable([
            ['NAME', 'CLIENT_ID', 'STATUS', 'SCOPES', 'AUDIENCES', 'TTL', 'TOKENS', 'SECRET_HASH'],
            ...clients.map((c) => [
              c.name,
              c.clientId,
              c.revokedAt === null ? 'active' : 'revoked',
              c.scopes.join(',') || '-',
              c.audiences.join(',') || '-',
              `${c.tokenTtlSec}s`,
              c.tokenFormat,
              legacy.has(c.clientId) ? 'legacy (Passport)' : '-',
            ]),
          ]),
        );
        if (legacy.size > 0) {
          out.text(
            '',
            `${legacy.size} client(s) still hold a legacy secret hash (bcrypt/argon2id from Laravel Passport); it is replaced at their next successful token request.`,
          );
        }
      }),
    );

  addStoreOptions(
    client
      .command('show')
      .description('show one client (never its secret)')
      .argument('<id|name>', 'client_id or name'),
  )
    .addHelpText('after', examples('m2m-auth client show ms_admin'))
    .action(
      commandAction(async ({ out, withStore }, idOrName: string, _opts: unknown) => {
        const {
          client: found,
          secrets,
          publicKeys,
          subjects,
          json,
        } = await withStore((store) => showClient(store, idOrName), 'existing');
        const federated = subjects.map((s) => `${s.trustName}:${s.subject}`);
        out.data(json);
        out.text(
          `Client ${found.name}`,
          ...clientToLines(found),
          ...(federated.length > 0
            ? [`  auth:       token of ${federated.join(', ')}`]
            : publicKeys === undefined
              ? [`  secrets:    ${secretsSummary(secrets)}`]
              : publicKeysToLines(publicKeys)),
        );
      }),
    );

  addStoreOptions(
    client
      .command('revoke')
      .description(
        'revoke a client: its next token request fails, and receivers polling GET /revocations refuse the tokens it holds',
      )
      .argument('<id|name>', 'client_id or name'),
  )
    .addHelpText('after', examples('m2m-auth client revoke ms_admin'))
    .action(
      commandAction(async ({ out, withStore }, idOrName: string, _opts: unknown) => {
        const {
          client: after,
          alreadyRevoked,
          json,
        } = await withStore((store) => revokeClient(store, idOrName), 'existing');
        out.data(json);
        out.text(
          alreadyRevoked
            ? `Client ${after.name} was already revoked at ${formatTime(after.revokedAt)}.`
            : `Revoked client ${after.name} (${after.clientId}). Receivers that poll GET /revocations refuse its tokens from their next poll; others accept them until they expire (within ${after.tokenTtlSec} s).`,
        );
      }),
    );

  addStoreOptions(
    client
      .command('rotate-secret')
      .description('issue a new client secret; prints it once')
      .argument('<id|name>', 'client_id or name')
      .option(
        '--grace <sec>',
        'seconds the old secret stays valid (default 0: rejected at once)',
        parseSeconds,
        0,
      ),
  )
    .addHelpText('after', examples('m2m-auth client rotate-secret ms_admin --grace 3600'))
    .action(
      commandAction(async ({ out, withStore }, idOrName: string, opts: { grace: number }) => {
        const {
          client: rotated,
          clientSecret,
          json,
        } = await withStore((store) => rotateClientSecret(store, idOrName, opts.grace), 'existing');
        out.data(json);
        out.text(
          `New secret for client ${rotated.name} (${rotated.clientId}):`,
          `  client_secret: ${clientSecret}`,
          '',
          'The client secret is shown only this once and cannot be recovered (only a hash is stored).',
          opts.grace > 0
            ? `The previous secret stays valid for ${opts.grace} s (until ${formatTime(rotated.updatedAt + opts.grace)}).`
            : 'The previous secret no longer works.',
        );
      }),
    );

  addStoreOptions(
    addPublicKeyOptions(
      client
        .command('update')
        .description(
          "change a client's scopes, audiences, token lifetime, token format or public keys (replaces each list given)",
        )
        .argument('<id|name>', 'client_id or name')
        .option('--scopes <list>', 'new scopes, comma-separated ("" for none)', parseList)
        .option('--audiences <list>', 'new audiences, comma-separated ("" for none)', parseList)
        .option('--token-ttl <sec>', 'new access-token lifetime, seconds', parseSeconds)
        .addOption(
          new Option(
            '--token-format <format>',
            'token shape: rfc9068 (aud = the receiving service) or passport (Laravel Passport claims, while receivers move)',
          ).choices(ACCESS_TOKEN_FORMATS),
        ),
      'new',
    ),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth client update ms_admin --scopes doctors:read --audiences ms_doctor,ms_college',
        'm2m-auth client update ms_admin --public-key old.pub.pem --public-key new.pub.pem   # during a key change',
        'm2m-auth client update ms_admin --public-key new.pub.pem                             # afterwards',
      ),
    )
    .action(
      commandAction(
        async (
          { out, withStore },
          idOrName: string,
          opts: {
            scopes?: string[];
            audiences?: string[];
            tokenTtl?: number;
            tokenFormat?: AccessTokenFormat;
          } & PublicKeyFlags,
        ) => {
          const patch: ClientPatch = {
            ...(opts.tokenFormat !== undefined ? { tokenFormat: opts.tokenFormat } : {}),
            ...(opts.scopes !== undefined ? { scopes: opts.scopes } : {}),
            ...(opts.audiences !== undefined ? { audiences: opts.audiences } : {}),
            ...(opts.tokenTtl !== undefined ? { tokenTtlSec: opts.tokenTtl } : {}),
          };
          const keys = publicKeysOf(opts);
          const {
            client: updated,
            publicKeys,
            json,
          } = await withStore((store) => updateClient(store, idOrName, patch, keys), 'existing');
          out.data(json);
          out.text(
            `Updated client ${updated.name}`,
            ...clientToLines(updated),
            ...publicKeysToLines(publicKeys),
          );
        },
      ),
    );
}
