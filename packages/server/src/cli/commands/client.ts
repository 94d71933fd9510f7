import type { Command } from 'commander';
import { StoreError } from '../../store/store-error.js';
import type { ClientPatch, ClientRecord } from '../../store/types.js';
import { clientToJson, clientToLines, secretsSummary } from '../internal/client-view.js';
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
        const { client: created, clientSecret } = await withStore(options, (store) =>
          store.clients.create({
            name,
            ...(opts.scopes !== undefined ? { scopes: opts.scopes } : {}),
            ...(opts.audiences !== undefined ? { audiences: opts.audiences } : {}),
            ...(opts.tokenTtl !== undefined ? { tokenTtlSec: opts.tokenTtl } : {}),
          }),
        );
        out.data({ ...clientToJson(created), client_secret: clientSecret });
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
      const clients = await withStore(options, (store) => store.clients.list());
      out.data(clients.map(clientToJson));
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
      const { found, secrets } = await withStore(options, async (store) => {
        const found = requireClient(await store.clients.find(idOrName), idOrName);
        const creds = await store.clients.getCredentials(found.clientId);
        return { found, secrets: creds?.secrets ?? [] };
      });
      out.data({
        ...clientToJson(found),
        secrets: secrets.map((s) => ({ expires_at: s.expiresAt })),
      });
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
        'revoke a client: its next token request fails, and receivers polling GET /revocations refuse the tokens it holds',
      )
      .argument('<id|name>', 'client_id or name'),
  )
    .addHelpText('after', examples('m2m-auth client revoke ms_admin'))
    .action(async (idOrName: string, _opts: unknown, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      const out = createOutput(options.json);
      const { before, after } = await withStore(options, async (store) => {
        const before = await store.clients.find(idOrName);
        return { before, after: await store.clients.revoke(idOrName) };
      });
      out.data(clientToJson(after));
      out.text(
        before?.revokedAt != null
          ? `Client ${after.name} was already revoked at ${formatTime(after.revokedAt)}.`
          : `Revoked client ${after.name} (${after.clientId}). Receivers that poll GET /revocations refuse its tokens from their next poll; others accept them until they expire (within ${after.tokenTtlSec} s).`,
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
      const { client: rotated, clientSecret } = await withStore(options, (store) =>
        store.clients.rotateSecret(idOrName, opts.grace),
      );
      out.data({ ...clientToJson(rotated), client_secret: clientSecret, grace_sec: opts.grace });
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
        const updated = await withStore(options, (store) => store.clients.update(idOrName, patch));
        out.data(clientToJson(updated));
        out.text(`Updated client ${updated.name}`, ...clientToLines(updated));
      },
    );
}

function requireClient(found: ClientRecord | undefined, idOrName: string): ClientRecord {
  if (found !== undefined) return found;
  throw new StoreError('CLIENT_NOT_FOUND', `no client with id or name ${JSON.stringify(idOrName)}`);
}
