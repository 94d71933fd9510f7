import type { Command } from 'commander';
import { ADMIN_AUDIENCE, ADMIN_SCOPES } from '../../admin/admin-openapi.js';
import { clientToLines } from '../../admin/client-view.js';
import { createClient } from '../../admin/operations/create-client.js';
import { CliError } from '../internal/cli-error.js';
import { commandAction } from '../internal/command-action.js';
import { parseList, parseSeconds } from '../internal/option-parsers.js';
import { examples } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';

/** Default name of the first admin client. */
const DEFAULT_ADMIN_CLIENT_NAME = 'm2m-auth-admin';

/**
 * Registers `m2m-auth admin bootstrap`: creates the first client of the admin API (audience
 * `m2m-auth-admin`, every admin scope unless `--scopes` narrows them) and prints its secret once.
 */
export function registerAdminCommand(program: Command): void {
  const admin = program
    .command('admin')
    .description('the admin API on the admin listener (serve --admin-port)');
  addStoreOptions(
    admin
      .command('bootstrap')
      .description(
        `create the first admin API client (audience ${ADMIN_AUDIENCE}); prints its client_id and client_secret once`,
      )
      .argument('[name]', 'client name', DEFAULT_ADMIN_CLIENT_NAME)
      .option(
        '--scopes <list>',
        `admin scopes it gets, comma-separated (default: all of ${ADMIN_SCOPES.join(',')})`,
        parseList,
      )
      .option('--token-ttl <sec>', 'access-token lifetime, seconds (default 900)', parseSeconds),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth admin bootstrap',
        'm2m-auth admin bootstrap ops-readonly --scopes clients:read,keys:read,audit:read',
      ),
    )
    .action(
      commandAction(
        async (
          { out, withStore },
          name: string,
          opts: { scopes?: string[]; tokenTtl?: number },
        ) => {
          const scopes = opts.scopes ?? [...ADMIN_SCOPES];
          const unknown = scopes.filter(
            (scope) => !(ADMIN_SCOPES as readonly string[]).includes(scope),
          );
          if (unknown.length > 0) {
            throw new CliError(
              'ERR_CLI_USAGE',
              `not an admin scope: ${unknown.join(', ')} (admin scopes: ${ADMIN_SCOPES.join(', ')})`,
            );
          }
          const { client, clientSecret, json } = await withStore((store) =>
            createClient(store, {
              name,
              scopes,
              audiences: [ADMIN_AUDIENCE],
              ...(opts.tokenTtl === undefined ? {} : { tokenTtlSec: opts.tokenTtl }),
            }),
          );
          out.data(json);
          out.text(
            `Created admin client ${client.name}`,
            ...clientToLines(client),
            `  client_secret: ${clientSecret}`,
            '',
            'The client secret is shown only this once. Get an admin token with:',
            `  curl -u "${client.clientId}:$SECRET" -d grant_type=client_credentials -d audience=${ADMIN_AUDIENCE} <issuer>/oauth/token`,
          );
        },
      ),
    );
}
