/**
 * What the audit table says about a period, aggregated in SQL (`AuditStore.usage`): the input of
 * {@link buildServiceGraph} and {@link findUnusedGrants}. Its size is bounded by the number of
 * distinct (client, audience, granted scope set) and (client, audience, reason) combinations, each
 * list capped at {@link MAX_USAGE_GROUPS}, never by the number of events.
 */

/** Most groups of each kind one `usage` call reads; the busiest ones are kept. */
export const MAX_USAGE_GROUPS = 10_000;

/** Period of {@link AuditStore.usage}, Unix milliseconds. */
export interface AuditUsageQuery {
  /** Events at or after this time. */
  sinceMs: number;
  /** Events before this time (default: now). */
  untilMs?: number;
}

/** Tokens issued to one client for one audience with one granted scope set. */
export interface IssuedUsageGroup {
  clientId: string | null;
  audience: string | null;
  /** The granted scopes of these tokens, in the order the token carried them. */
  scopes: string[];
  /** How many tokens. */
  count: number;
  /** When the last of them was issued, Unix milliseconds. */
  lastMs: number;
}

/** Refused token requests of one presented client_id, requested audience and reason. */
export interface RefusedUsageGroup {
  /** As recorded: a client_id, a `sha256:` digest of a malformed one, or null when none was sent. */
  clientId: string | null;
  /** The requested audience, or null when none was sent. */
  audience: string | null;
  /** The `AuthServerErrorCode` of the refusal (e.g. `ERR_SCOPE_NOT_ALLOWED`). */
  reason: string | null;
  count: number;
  lastMs: number;
}

/** Aggregates of the audit table over a period. */
export interface AuditUsage {
  sinceMs: number;
  untilMs: number;
  /** Time of the oldest event in the whole table, or null when it is empty: before it, nothing is known. */
  firstEventMs: number | null;
  /** Tokens issued in the period, grouped; busiest first. */
  issued: IssuedUsageGroup[];
  /** Refusals in the period, grouped; busiest first. */
  refused: RefusedUsageGroup[];
  /** Events in the period, whether or not their group was read. */
  totals: { issued: number; refused: number };
  /** Whether more than {@link MAX_USAGE_GROUPS} groups existed (the least busy ones were left out). */
  truncated: { issued: boolean; refused: boolean };
}
