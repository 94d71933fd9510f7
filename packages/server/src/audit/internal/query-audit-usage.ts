import type { Db } from '../../store/internal/database.js';
import {
  type AuditUsage,
  type AuditUsageQuery,
  type IssuedUsageGroup,
  MAX_USAGE_GROUPS,
  type RefusedUsageGroup,
} from '../audit-usage.js';

/**
 * The aggregate queries behind `AuditStore.usage`, the same on SQLite and PostgreSQL. Scopes are
 * stored as a JSON array string per row; grouping on that string keeps one row per distinct granted
 * scope set (bounded by the combinations clients actually ask for), split into scopes in JS.
 * COUNT and MAX come back as strings from PostgreSQL (bigint), hence `Number`.
 */
export async function queryAuditUsage(db: Db, query: AuditUsageQuery): Promise<AuditUsage> {
  const sinceMs = query.sinceMs;
  const untilMs = query.untilMs ?? Date.now();
  const inPeriod = db
    .selectFrom('m2m_audit_events')
    .where('time_ms', '>=', sinceMs)
    .where('time_ms', '<', untilMs);

  const issuedRows = await inPeriod
    .where('outcome', '=', 'issued')
    .select((eb) => [
      'client_id',
      'audience',
      'scopes',
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.max('time_ms').as('last_ms'),
    ])
    .groupBy(['client_id', 'audience', 'scopes'])
    .orderBy('count', 'desc')
    .orderBy('client_id')
    .orderBy('audience')
    .orderBy('scopes')
    .limit(MAX_USAGE_GROUPS + 1)
    .execute();

  const refusedRows = await inPeriod
    .where('outcome', '=', 'refused')
    .select((eb) => [
      'client_id',
      'audience',
      'reason',
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.max('time_ms').as('last_ms'),
    ])
    .groupBy(['client_id', 'audience', 'reason'])
    .orderBy('count', 'desc')
    .orderBy('client_id')
    .orderBy('audience')
    .orderBy('reason')
    .limit(MAX_USAGE_GROUPS + 1)
    .execute();

  const totalRows = await inPeriod
    .select((eb) => ['outcome', eb.fn.countAll<number | string>().as('count')])
    .groupBy('outcome')
    .execute();

  const first = await db
    .selectFrom('m2m_audit_events')
    .select((eb) => eb.fn.min('time_ms').as('first_ms'))
    .executeTakeFirst();

  const issued: IssuedUsageGroup[] = issuedRows.slice(0, MAX_USAGE_GROUPS).map((row) => ({
    clientId: row.client_id,
    audience: row.audience,
    scopes: parseScopes(row.scopes),
    count: Number(row.count),
    lastMs: Number(row.last_ms),
  }));
  const refused: RefusedUsageGroup[] = refusedRows.slice(0, MAX_USAGE_GROUPS).map((row) => ({
    clientId: row.client_id,
    audience: row.audience,
    reason: row.reason,
    count: Number(row.count),
    lastMs: Number(row.last_ms),
  }));
  const total = (outcome: string) =>
    Number(totalRows.find((row) => row.outcome === outcome)?.count ?? 0);
  const firstMs = first?.first_ms;
  return {
    sinceMs,
    untilMs,
    firstEventMs: firstMs === null || firstMs === undefined ? null : Number(firstMs),
    issued,
    refused,
    totals: { issued: total('issued'), refused: total('refused') },
    truncated: {
      issued: issuedRows.length > MAX_USAGE_GROUPS,
      refused: refusedRows.length > MAX_USAGE_GROUPS,
    },
  };
}

/** The stored JSON array of scope-tokens; anything else (never written by the server) counts as none. */
function parseScopes(stored: string | null): string[] {
  if (stored === null) return [];
  try {
    const parsed: unknown = JSON.parse(stored);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
