import type { ClientRecord } from '../clients/client-store.js';
import type { AuditUsage } from './audit-usage.js';

/** One client's grants that no issued token used in the period, and how to remove them. */
export interface UnusedGrants {
  clientId: string;
  name: string;
  /** When the client was registered, Unix seconds. */
  createdAt: number;
  /** Whether it was registered after the period began (it had less than the period to use its grants). */
  youngerThanPeriod: boolean;
  /** Tokens issued to it in the period. */
  tokens: number;
  /** Its refused token requests in the period. */
  refusals: number;
  /** No token was issued to it in the period (a dead service, or one whose every request failed). */
  idle: boolean;
  /** Allowed audiences no token was issued for, in registration order. */
  unusedAudiences: string[];
  /** Allowed scopes no issued token carried, in registration order. */
  unusedScopes: string[];
  /**
   * The CLI command that removes them: `m2m-auth client update <name> --audiences … --scopes …`
   * (the lists that remain; one command per client because `update` replaces each list), or
   * `m2m-auth client revoke <name>` for an idle client. Arguments are shell-quoted when needed.
   */
  command: string;
  /**
   * The same change in a `provision` manifest, one entry per edit. Exact when a manifest is given
   * (a scope whose `calls` entry goes anyway is not listed again; empty when the client is not in
   * the manifest); otherwise the entry holding an unused scope is described, not named.
   */
  manifestChanges: string[];
}

/** The least-privilege report of a period. */
export interface UnusedGrantsReport {
  sinceMs: number;
  untilMs: number;
  /** Oldest event in the table (null when empty). */
  firstEventMs: number | null;
  /**
   * Whether the audit table reaches back to the start of the period. When false (audit store
   * enabled recently, or events purged), grants used before `firstEventMs` are reported as unused.
   */
  coversPeriod: boolean;
  /** Clients (not revoked) with at least one unused grant or no token at all; sorted by name. */
  clients: UnusedGrants[];
  /** Unused audiences plus unused scopes plus idle clients without any grant, over all clients. */
  unusedCount: number;
  /** Whether the issued-token aggregates were cut (then some "unused" grants may have been used). */
  truncated: boolean;
}

/**
 * Grants never used in a period: for each registered, non-revoked client, the audiences it may
 * get tokens for and the scopes it may ask for that no issued token of the period carried, and the
 * clients that got no token at all. A token requested without `scope` carries every allowed scope
 * (RFC 6749 §3.3 default), so such a request uses them all. Pure: no I/O.
 *
 * @param usage - aggregates from `AuditStore.usage`.
 * @param clients - registered clients (`ClientStore.list()`); revoked ones are skipped.
 * @param options - `manifest`: the parsed `provision` manifest, for exact manifest edits.
 * @returns clients with something to remove, sorted by name, each with the command that removes it.
 * @example
 * ```ts
 * const report = findUnusedGrants(await store.audit.usage({ sinceMs }), await store.clients.list());
 * if (report.unusedCount > 0) process.exitCode = 2;
 * ```
 */
export function findUnusedGrants(
  usage: AuditUsage,
  clients: readonly ClientRecord[],
  options: { manifest?: DeclaredServices } = {},
): UnusedGrantsReport {
  const services = new Map(options.manifest?.services.map((service) => [service.name, service]));
  const used = new Map<string, { tokens: number; audiences: Set<string>; scopes: Set<string> }>();
  for (const group of usage.issued) {
    if (group.clientId === null) continue;
    const entry = used.get(group.clientId) ?? {
      tokens: 0,
      audiences: new Set<string>(),
      scopes: new Set<string>(),
    };
    entry.tokens += group.count;
    if (group.audience !== null) entry.audiences.add(group.audience);
    for (const scope of group.scopes) entry.scopes.add(scope);
    used.set(group.clientId, entry);
  }
  const refusals = new Map<string, number>();
  for (const group of usage.refused) {
    if (group.clientId === null) continue;
    refusals.set(group.clientId, (refusals.get(group.clientId) ?? 0) + group.count);
  }

  const report: UnusedGrants[] = [];
  let unusedCount = 0;
  const sinceSec = usage.sinceMs / 1000;
  for (const client of clients) {
    if (client.revokedAt !== null) continue;
    const entry = used.get(client.clientId);
    const tokens = entry?.tokens ?? 0;
    const idle = tokens === 0;
    const unusedAudiences = client.audiences.filter((a) => !entry?.audiences.has(a));
    const unusedScopes = client.scopes.filter((s) => !entry?.scopes.has(s));
    if (!idle && unusedAudiences.length === 0 && unusedScopes.length === 0) continue;
    unusedCount += unusedAudiences.length + unusedScopes.length;
    if (idle && unusedAudiences.length + unusedScopes.length === 0) unusedCount += 1;
    report.push({
      clientId: client.clientId,
      name: client.name,
      createdAt: client.createdAt,
      youngerThanPeriod: client.createdAt > sinceSec,
      tokens,
      refusals: refusals.get(client.clientId) ?? 0,
      idle,
      unusedAudiences,
      unusedScopes,
      command: idle
        ? `m2m-auth client revoke ${shellQuote(client.name)}`
        : updateCommand(client, unusedAudiences, unusedScopes),
      manifestChanges:
        options.manifest === undefined
          ? genericManifestChanges(client.name, idle, unusedAudiences, unusedScopes)
          : manifestChanges(services.get(client.name), idle, unusedAudiences, unusedScopes),
    });
  }
  report.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    sinceMs: usage.sinceMs,
    untilMs: usage.untilMs,
    firstEventMs: usage.firstEventMs,
    coversPeriod: usage.firstEventMs !== null && usage.firstEventMs <= usage.sinceMs,
    clients: report,
    unusedCount,
    truncated: usage.truncated.issued,
  };
}

/** Manifest edits without the manifest: which `calls` entry declares a scope is unknown. */
function genericManifestChanges(
  name: string,
  idle: boolean,
  unusedAudiences: readonly string[],
  unusedScopes: readonly string[],
): string[] {
  if (idle) {
    return [
      `services.${name}.calls: remove it (and services.${name} itself if it declares no scopes)`,
    ];
  }
  return [
    ...unusedAudiences.map((a) => `services.${name}.calls.${a}: remove it`),
    ...unusedScopes.map(
      (s) => `services.${name}.calls.<the service that declares ${s}>: remove ${s} from its list`,
    ),
  ];
}

/**
 * What {@link findUnusedGrants} reads of a provision manifest (a `Manifest` fits): each service's
 * name, the scopes it receives and the services it calls with the scopes it asks for.
 */
export interface DeclaredServices {
  services: readonly DeclaredService[];
}

/** One service of {@link DeclaredServices}. */
export interface DeclaredService {
  name: string;
  scopes: readonly string[];
  calls: readonly { service: string; scopes: readonly string[] }[];
}

/** Exact manifest edits: the `calls` entries to drop, then the scopes to drop from the others. */
function manifestChanges(
  service: DeclaredService | undefined,
  idle: boolean,
  unusedAudiences: readonly string[],
  unusedScopes: readonly string[],
): string[] {
  if (service === undefined) return [];
  const name = service.name;
  if (idle) {
    return service.scopes.length > 0
      ? [`services.${name}.calls: remove it (${name} still declares scopes it receives)`]
      : [`services.${name}: remove the service (it declares no scopes)`];
  }
  const changes: string[] = [];
  const removed = new Set<string>();
  for (const call of service.calls) {
    if (unusedAudiences.includes(call.service)) {
      removed.add(call.service);
      changes.push(`services.${name}.calls.${call.service}: remove it`);
    }
  }
  for (const call of service.calls) {
    if (removed.has(call.service)) continue;
    for (const scope of call.scopes) {
      if (unusedScopes.includes(scope)) {
        changes.push(`services.${name}.calls.${call.service}: remove ${scope} from its list`);
      }
    }
  }
  return changes;
}

/** `client update` with only the lists that change, set to what remains. */
function updateCommand(
  client: ClientRecord,
  unusedAudiences: readonly string[],
  unusedScopes: readonly string[],
): string {
  const parts = ['m2m-auth', 'client', 'update', shellQuote(client.name)];
  if (unusedAudiences.length > 0) {
    const kept = client.audiences.filter((a) => !unusedAudiences.includes(a));
    parts.push('--audiences', shellQuote(kept.join(',')));
  }
  if (unusedScopes.length > 0) {
    const kept = client.scopes.filter((s) => !unusedScopes.includes(s));
    parts.push('--scopes', shellQuote(kept.join(',')));
  }
  return parts.join(' ');
}

/** POSIX shell quoting: bare when only safe characters, else single-quoted. */
function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_.,:/@%+=-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
