import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, CommanderError, Option } from 'commander';
import { readAudit } from '../../admin/operations/read-audit.js';
import type { Store } from '../../app/store.js';
import { type AuditEvent, auditEventToJson } from '../../audit/audit-event.js';
import { AuditFollower, FOLLOW_LOOKBACK_MS } from '../../audit/audit-follower.js';
import type { AuditUsage } from '../../audit/audit-usage.js';
import { buildServiceGraph } from '../../audit/build-service-graph.js';
import { findUnusedGrants, type UnusedGrantsReport } from '../../audit/find-unused-grants.js';
import { formatServiceGraphDot } from '../../audit/format-service-graph-dot.js';
import { formatServiceGraphMermaid } from '../../audit/format-service-graph-mermaid.js';
import { serviceGraphToJson } from '../../audit/service-graph-to-json.js';
import { unusedGrantsToJson } from '../../audit/unused-grants-to-json.js';
import { readManifest } from '../../provision/read-manifest.js';
import { CLI_EXIT_CODES } from '../exit-codes.js';
import { CliError } from '../internal/cli-error.js';
import { type CommandContext, commandAction } from '../internal/command-action.js';
import { parseDuration, parseIntervalSec, wholeNumberUpTo } from '../internal/option-parsers.js';
import { columnWidths, examples, formatRow, formatTable } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';

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
 * Registers `m2m-auth audit tail` (the most recent audit events, token issued or refused, oldest
 * first), `audit graph` (who calls whom) and `audit unused` (grants no token used), all reading the
 * audit table that `m2m-auth serve --audit-store` fills.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('show audit events of the token endpoint (kept by serve --audit-store)')
    .addHelpText(
      'after',
      examples(
        'm2m-auth audit tail --since 10m',
        'm2m-auth audit graph --since 24h',
        'm2m-auth audit unused --json --fail-on-unused',
      ),
    );

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
      .option('--limit <n>', 'most events to show', wholeNumberUpTo(MAX_LIMIT), DEFAULT_LIMIT)
      .option(
        '-f, --follow',
        `keep running and print events as they are stored (with --json: one JSON object per line); an event stored over ${FOLLOW_LOOKBACK_MS / 1000} s after a newer one is not shown; Ctrl-C stops`,
      )
      .option('--interval <seconds>', 'with --follow: seconds between checks', parseIntervalSec, 1),
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
    .action(
      commandAction(async ({ options, out, withStore }, opts: TailOptions) => {
        if (opts.follow) {
          await withStore((store) => followAudit(store, opts, options.json), 'existing');
          return;
        }
        const { events, names } = await withStore(
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
      }),
    );

  registerGraphCommand(audit);
  registerUnusedCommand(audit);
}

/** Default period of `audit graph`, seconds. */
const GRAPH_DEFAULT_SINCE_SEC = 7 * 86_400;
/** Default period of `audit unused`, seconds. */
const UNUSED_DEFAULT_SINCE_SEC = 30 * 86_400;
/** Exit code of `audit unused --fail-on-unused` when something is unused (1 means the command failed). */
const EXIT_UNUSED = CLI_EXIT_CODES.UNUSED_GRANTS;

type GraphFormat = 'mermaid' | 'dot' | 'json';

/** `audit graph`: who called whom, from the aggregated audit table. */
function registerGraphCommand(audit: Command): void {
  addStoreOptions(
    audit
      .command('graph')
      .description(
        'the service graph: client -> audience edges with the scopes their tokens carried, token counts and refusals',
      )
      .option(
        '--since <duration>',
        'period: seconds, or 10m, 2h, 30d (default 7d)',
        parseDuration,
        GRAPH_DEFAULT_SINCE_SEC,
      )
      .addOption(
        new Option(
          '--format <format>',
          'mermaid, dot (Graphviz) or json (default mermaid; --json is json)',
        ).choices(['mermaid', 'dot', 'json']),
      ),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth audit graph',
        'm2m-auth audit graph --since 24h --format dot | dot -Tsvg > services.svg',
        'm2m-auth audit graph --format json',
      ),
    )
    .action(
      commandAction(
        async ({ options, withStore }, opts: { since: number; format?: GraphFormat }) => {
          if (options.json && opts.format !== undefined && opts.format !== 'json') {
            throw new CliError(
              'ERR_CLI_USAGE',
              `--json prints JSON; it cannot be combined with --format ${opts.format}`,
            );
          }
          const format: GraphFormat = options.json ? 'json' : (opts.format ?? 'mermaid');
          const { usage, clients } = await readUsage(withStore, opts.since);
          warnAboutUsage(usage);
          const graph = buildServiceGraph(usage, clients);
          const text =
            format === 'json'
              ? `${JSON.stringify(serviceGraphToJson(graph), null, 2)}\n`
              : format === 'dot'
                ? formatServiceGraphDot(graph)
                : formatServiceGraphMermaid(graph);
          process.stdout.write(text);
        },
      ),
    );
}

/** `audit unused`: the least-privilege report. */
function registerUnusedCommand(audit: Command): void {
  addStoreOptions(
    audit
      .command('unused')
      .description(
        'grants no issued token used in the period (audiences, scopes) and clients that got no token, with the command that removes each',
      )
      .option(
        '--since <duration>',
        'period: seconds, or 10m, 2h, 30d (default 30d)',
        parseDuration,
        UNUSED_DEFAULT_SINCE_SEC,
      )
      .option(
        '--manifest <file>',
        'the provision manifest (YAML/JSON): name the exact manifest edits that remove each grant',
      )
      .option(
        '--fail-on-unused',
        `exit with code ${EXIT_UNUSED} when anything is unused (for CI); the report is printed first`,
      ),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth audit unused',
        'm2m-auth audit unused --since 90d --json',
        'm2m-auth audit unused --manifest services.yaml',
        'm2m-auth audit unused --fail-on-unused',
      ),
    )
    .action(
      commandAction(
        async (
          { out, withStore },
          opts: { since: number; manifest?: string; failOnUnused?: boolean },
        ) => {
          // Read first: a bad manifest is an error before the database is opened.
          const manifest =
            opts.manifest === undefined ? undefined : await readManifest(opts.manifest);
          const { usage, clients } = await readUsage(withStore, opts.since);
          warnAboutUsage(usage);
          const report = findUnusedGrants(
            usage,
            clients,
            manifest === undefined ? {} : { manifest },
          );
          out.data(unusedGrantsToJson(report));
          out.text(...unusedLines(report));
          if (opts.failOnUnused && report.unusedCount > 0) {
            process.stderr.write(
              `m2m-auth: ${report.unusedCount} unused grants (--fail-on-unused)\n`,
            );
            throw new CommanderError(EXIT_UNUSED, 'm2m-auth.unusedGrants', 'unused grants');
          }
        },
      ),
    );
}

/** The period's aggregates and all clients, read in one store session. */
async function readUsage(withStore: CommandContext['withStore'], sinceSec: number) {
  return withStore(async (store) => {
    const untilMs = Date.now();
    const usage = await store.audit.usage({ sinceMs: untilMs - sinceSec * 1000, untilMs });
    const clients = await store.clients.list();
    return { usage, clients };
  });
}

/** Says on stderr when the aggregates cannot tell the whole story of the period. */
function warnAboutUsage(usage: AuditUsage): void {
  if (usage.firstEventMs === null) {
    process.stderr.write(
      'm2m-auth: warning: the audit table is empty; events are kept in the database by: m2m-auth serve --audit-store\n',
    );
  } else if (usage.firstEventMs > usage.sinceMs) {
    process.stderr.write(
      `m2m-auth: warning: the audit table begins at ${new Date(usage.firstEventMs).toISOString()}, after the period's start; nothing before is known\n`,
    );
  }
  if (usage.truncated.issued || usage.truncated.refused) {
    process.stderr.write(
      'm2m-auth: warning: more distinct (client, audience, scopes/reason) combinations than one report reads (10000); the least busy were left out\n',
    );
  }
}

function unusedLines(report: UnusedGrantsReport): string[] {
  if (report.clients.length === 0) {
    return ['No unused grants: every client used all its audiences and scopes.'];
  }
  const lines = [`Grants unused since ${new Date(report.sinceMs).toISOString()}:`];
  for (const c of report.clients) {
    const activity = c.idle
      ? `no token in the period${c.refusals > 0 ? ` (${c.refusals} refused)` : ''}`
      : `${c.tokens} ${c.tokens === 1 ? 'token' : 'tokens'}${c.refusals > 0 ? `, ${c.refusals} refused` : ''}`;
    const young = c.youngerThanPeriod
      ? ` — registered ${new Date(c.createdAt * 1000).toISOString()}, within the period`
      : '';
    lines.push('', `${c.name} (${c.clientId}): ${activity}${young}`);
    if (c.unusedAudiences.length > 0) {
      lines.push(`  unused audiences: ${c.unusedAudiences.join(' ')}`);
    }
    if (c.unusedScopes.length > 0) lines.push(`  unused scopes:    ${c.unusedScopes.join(' ')}`);
    lines.push(`  remove with:      ${c.command}`);
    c.manifestChanges.forEach((change, i) => {
      lines.push(`  ${i === 0 ? 'in the manifest:  ' : '                  '}${change}`);
    });
  }
  lines.push('', `${report.unusedCount} unused ${report.unusedCount === 1 ? 'grant' : 'grants'}.`);
  return lines;
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
  const detail = event.detail === null ? '' : ` (${event.detail})`;
  const reason =
    event.reason === null
      ? `${event.jti ?? '-'}${detail}`
      : `${event.status} ${event.reason}${detail}`;
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
