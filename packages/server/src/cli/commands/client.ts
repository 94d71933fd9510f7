import type { Command } from 'commander';
import { createClient } from '../../admin/operations/create-client.js';
import { listClients } from '../../admin/operations/list-clients.js';
import { revokeClient } from '../../admin/operations/revoke-client.js';
import { rotateClientSecret } from '../../admin/operations/rotate-client-secret.js';
import { showClient } from '../../admin/operations/show-client.js';
import { updateClient } from '../../admin/operations/update-client.js';
import type { ClientPatch } from '../../store/types.js';
import { clientToLines, secretsSummary } from '../internal/client-view.js';
import { createOutput, examples, formatTable, formatTime } from '../internal/output.js';
import { parseList, parseSeconds } from '../internal/parse-arguments.js';
import { addStoreOptions, storeOptionsOf, withStore } from '../internal/store-options.js';

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
    client
      .command('create')
      .description('register a client; prints its client_id and client_secret once')
      .argument('<name>', 'unique client name, e.g. ms_admin')
      .option('--scopes <list>', 'scopes it may request, comma-separated', parseList)
      .option('--audiences <list>', 'services (audiences) it may call, comma-separated', parseList)
      .option('--token-ttl <sec>', 'access-token lifetime, seconds (default 900)', parseSeconds),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth client create ms_admin --scopes doctors:read,doctors:write --audiences ms_doctor --token-ttl 900',
      ),
    )
    .action(
      async (
        name: string,
        opts: { scopes?: string[]; audiences?: string[]; tokenTtl?: number },
        cmd: Command,
      ) => {
        const options = storeOptionsOf(cmd);
        const out = createOutput(options.json);
        const {
          client: created,
          clientSecret,
          json,
        } = await withStore(options, (store) =>
          createClient(store, {
            name,
            ...(opts.scopes !== undefined ? { scopes: opts.scopes } : {}),
            ...(opts.audiences !== undefined ? { audiences: opts.audiences } : {}),
            ...(opts.tokenTtl !== undefined ? { tokenTtlSec: opts.tokenTtl } : {}),
          }),
        );
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
    );

  addStoreOptions(client.command('list').description('list clients'))
    .addHelpText('after', examples('m2m-auth client list', 'm2m-auth client list --json'))
    .action(async (_opts: unknown, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      const out = createOutput(options.json);
      const { clients, json } = await withStore(options, listClients);
      out.data(json);
      if (clients.length === 0) {
        out.text(
          'No clients. Create one with: m2m-auth client create <name> --audiences <service>',
        );
        return;
      }
      out.text(
        ...formatTable([
          ['NAME', 'CLIENT_ID', 'STATUS', 'SCOPES', 'AUDIENCES', 'TTL'],
          ...clients.map((c) => [
            c.name,
            c.clientId,
            c.revokedAt === null ? 'active' : 'revoked',
            c.scopes.join(',') || '-',
            c.audiences.join(',') || '-',
            `${c.tokenTtlSec}s`,
          ]),
        ]),
      );
    });

  addStoreOptions(
    client
      .command('show')
      .description('show one client (never its secret)')
      .argument('<id|name>', 'client_id or name'),
  )
    .addHelpText('after', examples('m2m-auth client show ms_admin'))
    .action(async (idOrName: string, _opts: unknown, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      const out = createOutput(options.json);
      const {
        client: found,
        secrets,
        json,
      } = await withStore(options, (store) => showClient(store, idOrName));
      out.data(json);
      out.text(
        `Client ${found.name}`,
        ...clientToLines(found),
        `  secrets:    ${secretsSummary(secrets)}`,
      );
    });

  addStoreOptions(
    client
      .command('revoke')
      .description(
        'revoke a client: its next token request fails (tokens already issued live out their TTL)',
      )
      .argument('<id|name>', 'client_id or name'),
  )
    .addHelpText('after', examples('m2m-auth client revoke ms_admin'))
    .action(async (idOrName: string, _opts: unknown, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      const out = createOutput(options.json);
      const {
        client: after,
        alreadyRevoked,
        json,
      } = await withStore(options, (store) => revokeClient(store, idOrName));
      out.data(json);
      out.text(
        alreadyRevoked
          ? `Client ${after.name} was already revoked at ${formatTime(after.revokedAt)}.`
          : `Revoked client ${after.name} (${after.clientId}). Tokens it already holds expire within ${after.tokenTtlSec} s.`,
      );
    });

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
    .action(async (idOrName: string, opts: { grace: number }, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      const out = createOutput(options.json);
      const {
        client: rotated,
        clientSecret,
        json,
      } = await withStore(options, (store) => rotateClientSecret(store, idOrName, opts.grace));
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
    });

  addStoreOptions(
    client
      .command('update')
      .description(
        "change a client's scopes, audiences or token lifetime (replaces each list given)",
      )
      .argument('<id|name>', 'client_id or name')
      .option('--scopes <list>', 'new scopes, comma-separated ("" for none)', parseList)
      .option('--audiences <list>', 'new audiences, comma-separated ("" for none)', parseList)
      .option('--token-ttl <sec>', 'new access-token lifetime, seconds', parseSeconds),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth client update ms_admin --scopes doctors:read --audiences ms_doctor,ms_college',
      ),
    )
    .action(
      async (
        idOrName: string,
        opts: { scopes?: string[]; audiences?: string[]; tokenTtl?: number },
        cmd: Command,
      ) => {
        const options = storeOptionsOf(cmd);
        const out = createOutput(options.json);
        const patch: ClientPatch = {
          ...(opts.scopes !== undefined ? { scopes: opts.scopes } : {}),
          ...(opts.audiences !== undefined ? { audiences: opts.audiences } : {}),
          ...(opts.tokenTtl !== undefined ? { tokenTtlSec: opts.tokenTtl } : {}),
        };
        const { client: updated, json } = await withStore(options, (store) =>
          updateClient(store, idOrName, patch),
        );
        out.data(json);
        out.text(`Updated client ${updated.name}`, ...clientToLines(updated));
      },
    );
}
