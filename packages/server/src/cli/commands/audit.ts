import { type Command, InvalidArgumentError } from 'commander';
import { type AuditEvent, auditEventToJson } from '../../audit/audit-event.js';
import { createOutput, examples, formatTable } from '../internal/output.js';
import { parseDuration } from '../internal/parse-duration.js';
import { addStoreOptions, storeOptionsOf, withStore } from '../internal/store-options.js';

/** Events shown by default. */
const DEFAULT_LIMIT = 50;
/** Most events one call may show. */
const MAX_LIMIT = 10_000;

interface TailOptions {
  client?: string;
  since?: number;
  limit: number;
}

/**
 * Registers `m2m-auth audit tail`: the most recent audit events (token issued or refused) from the
 * audit table that `m2m-auth serve --audit-store` fills, oldest first.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('show audit events of the token endpoint (kept by serve --audit-store)')
    .addHelpText('after', examples('m2m-auth audit tail --since 10m'));

  addStoreOptions(
    audit
      .command('tail')
      .description(
        'recent token issuances and refusals, oldest first: time, outcome, client, audience, scopes, jti or reason, source address',
      )
      .option('--client <id|name>', 'only events of this client (client_id or name)')
      .option(
        '--since <duration>',
        'only events this recent: seconds, or 10m, 2h, 30d',
        parseDuration,
      )
      .option(
        '--limit <n>',
        `most events to show (default ${DEFAULT_LIMIT})`,
        parseLimit,
        DEFAULT_LIMIT,
      ),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth audit tail',
        'm2m-auth audit tail --client ms_admin --since 10m',
        'm2m-auth audit tail --since 1h --json',
      ),
    )
    .action(async (opts: TailOptions, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      const out = createOutput(options.json);
      const { events, names } = await withStore(options, async (store) => {
        const clients = await store.clients.list();
        let clientId: string | undefined;
        if (opts.client !== undefined) {
          // A name or client_id of a registered client; anything else is taken as a recorded
          // client_id (an unknown or deleted client, or a `sha256:` digest from a refusal).
          clientId =
            clients.find((c) => c.clientId === opts.client || c.name === opts.client)?.clientId ??
            opts.client;
        }
        const found = await store.audit.list({
          limit: opts.limit,
          ...(clientId === undefined ? {} : { clientId }),
          ...(opts.since === undefined ? {} : { sinceMs: Date.now() - opts.since * 1000 }),
        });
        return { events: found, names: new Map(clients.map((c) => [c.clientId, c.name])) };
      });
      out.data(
        events.map((event) => ({
          ...auditEventToJson(event),
          client_name: (event.clientId !== null && names.get(event.clientId)) || null,
        })),
      );
      if (events.length === 0) {
        out.text(
          'No audit events. Events are kept in the database by: m2m-auth serve --audit-store',
        );
        return;
      }
      out.text(
        ...formatTable([
          ['TIME', 'OUTCOME', 'CLIENT', 'AUDIENCE', 'SCOPES', 'JTI / REASON', 'SOURCE'],
          ...events.map((event) => eventRow(event, names)),
        ]),
      );
    });
}

function eventRow(event: AuditEvent, names: ReadonlyMap<string, string>): string[] {
  const client = event.clientId === null ? '-' : (names.get(event.clientId) ?? event.clientId);
  const reason =
    event.outcome === 'issued'
      ? (event.jti ?? '-')
      : `${event.status} ${event.reason ?? ''}${event.detail === null ? '' : ` (${event.detail})`}`;
  return [
    new Date(event.timeMs).toISOString(),
    event.outcome,
    client,
    event.audience ?? '-',
    event.scopes === null ? '-' : event.scopes.join(' ') || '(none)',
    reason,
    event.sourceAddress ?? '-',
  ];
}

function parseLimit(value: string): number {
  const limit = Number(value.trim());
  if (!/^\d{1,5}$/.test(value.trim()) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}
