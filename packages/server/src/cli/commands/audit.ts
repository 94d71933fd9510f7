import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { readAudit } from '../../admin/operations/read-audit.js';
import { type AuditEvent, auditEventToJson } from '../../audit/audit-event.js';
import { AuditFollower, FOLLOW_LOOKBACK_MS } from '../../audit/audit-follower.js';
import type { Store } from '../../store/types.js';
import {
  columnWidths,
  createOutput,
  examples,
  formatRow,
  formatTable,
} from '../internal/output.js';
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
  follow?: boolean;
  interval: number;
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
      .option('--limit <n>', 'most events to show', parseLimit, DEFAULT_LIMIT)
      .option(
        '-f, --follow',
        `keep running and print events as they are stored (with --json: one JSON object per line); an event stored over ${FOLLOW_LOOKBACK_MS / 1000} s after a newer one is not shown; Ctrl-C stops`,
      )
      .option('--interval <seconds>', 'with --follow: seconds between checks', parseInterval, 1),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth audit tail',
        'm2m-auth audit tail --client ms_admin --since 10m',
        'm2m-auth audit tail --since 1h --json',
        'm2m-auth audit tail --follow --client ms_admin',
      ),
    )
    .action(async (opts: TailOptions, cmd: Command) => {
      const options = storeOptionsOf(cmd);
      if (opts.follow) {
        await withStore(options, (store) => followAudit(store, opts, options.json), 'existing');
        return;
      }
      const out = createOutput(options.json);
      const { events, names } = await withStore(
        options,
        (store) =>
          readAudit(store, {
            limit: opts.limit,
            ...(opts.client === undefined ? {} : { client: opts.client }),
            ...(opts.since === undefined ? {} : { sinceMs: Date.now() - opts.since * 1000 }),
          }),
        'existing',
      );
      out.data(events.map((event) => eventJson(event, names)));
      if (events.length === 0) {
        out.text(
          'No audit events. Events are kept in the database by: m2m-auth serve --audit-store',
        );
        return;
      }
      out.text(...formatTable([HEADER, ...events.map((event) => eventRow(event, names))]));
    });
}

/** The client_id a `--client` value names, and the names of all clients for display. */
async function resolveClient(
  store: Store,
  client: string | undefined,
): Promise<{ clientId: string | undefined; names: Map<string, string> }> {
  const clients = await store.clients.list();
  // A name or client_id of a registered client; anything else is taken as a recorded client_id
  // (an unknown or deleted client, or a `sha256:` digest from a refusal).
  const clientId =
    client === undefined
      ? undefined
      : (clients.find((c) => c.clientId === client || c.name === client)?.clientId ?? client);
  return { clientId, names: new Map(clients.map((c) => [c.clientId, c.name])) };
}

function tailQuery(opts: TailOptions, clientId: string | undefined, nowMs: number) {
  return {
    limit: opts.limit,
    ...(clientId === undefined ? {} : { clientId }),
    ...(opts.since === undefined ? {} : { sinceMs: nowMs - opts.since * 1000 }),
  };
}

const HEADER = ['TIME', 'OUTCOME', 'CLIENT', 'AUDIENCE', 'SCOPES', 'JTI / REASON', 'SOURCE'];
/** Column widths of a followed table, whatever the first rows: a time is 24 characters. */
const FOLLOW_MIN_WIDTHS = [24, 7, 12, 12, 14, 36, 0];

/**
 * `audit tail --follow`: the recent events, then every `--interval` seconds the events stored
 * since, until SIGINT or SIGTERM. A failed check (database unreachable) is reported once on stderr
 * and retried; the follower misses nothing it can still read when the database is back.
 */
async function followAudit(store: Store, opts: TailOptions, json: boolean): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { clientId, names: initialNames } = await resolveClient(store, opts.client);
    let names = initialNames;
    const startMs = Date.now();
    const shown = await store.audit.list(tailQuery(opts, clientId, startMs));
    const rows = shown.map((event) => eventRow(event, names));
    const widths = columnWidths([HEADER, ...rows], FOLLOW_MIN_WIDTHS);
    const print = (events: readonly AuditEvent[]) => {
      for (const event of events) {
        process.stdout.write(
          json
            ? `${JSON.stringify(eventJson(event, names))}\n`
            : `${formatRow(eventRow(event, names), widths)}\n`,
        );
      }
    };
    if (!json) process.stdout.write(`${formatRow(HEADER, widths)}\n`);
    print(shown);
    const follower = new AuditFollower(store.audit, {
      ...(clientId === undefined ? {} : { clientId }),
      startMs,
      shown,
      limited: shown.length >= opts.limit,
    });
    let failing = false;
    while (!stop.signal.aborted) {
      await sleep(opts.interval * 1000, undefined, { signal: stop.signal }).catch(() => {});
      if (stop.signal.aborted) break;
      try {
        const { events, truncated } = await follower.poll();
        if (failing) process.stderr.write('m2m-auth: the audit table answers again\n');
        failing = false;
        if (truncated) {
          process.stderr.write(
            'm2m-auth: warning: more events than one check reads (10000); some were skipped\n',
          );
        }
        if (events.some((e) => e.clientId !== null && !names.has(e.clientId))) {
          names = (await resolveClient(store, undefined)).names;
        }
        print(events);
      } catch (err) {
        if (!failing) {
          const reason = err instanceof Error ? err.message : String(err);
          process.stderr.write(
            `m2m-auth: warning: cannot read the audit table (${reason}); retrying every ${opts.interval} s\n`,
          );
        }
        failing = true;
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The `--json` form of an event: {@link auditEventToJson} plus the client's name, if registered. */
function eventJson(event: AuditEvent, names: ReadonlyMap<string, string>) {
  return {
    ...auditEventToJson(event),
    client_name: (event.clientId !== null && names.get(event.clientId)) || null,
  };
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

function parseInterval(value: string): number {
  const seconds = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || seconds < 0.1 || seconds > 3600) {
    throw new InvalidArgumentError('expected seconds from 0.1 to 3600');
  }
  return seconds;
}

function parseLimit(value: string): number {
  const limit = Number(value.trim());
  if (!/^\d{1,5}$/.test(value.trim()) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}
