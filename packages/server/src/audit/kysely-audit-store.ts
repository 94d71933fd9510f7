import { randomUUID } from 'node:crypto';
import type { StoreContext } from '../store/internal/context.js';
import type { AuditEventsTable } from '../store/internal/database.js';
import type { AuditEvent, AuditOutcome, StoredAuditEvent } from './audit-event.js';
import type { AuditQuery, AuditStore } from './audit-store.js';
import { queryAuditUsage } from './internal/query-audit-usage.js';

/** Rows deleted per statement by `purge`. */
const PURGE_BATCH = 1000;
/** Rows inserted per statement by `append` (11 columns: far below SQLite's variable limit). */
const INSERT_BATCH = 500;
/** Largest `limit` of `list`. */
const MAX_LIST = 10_000;

/**
 * The audit table over the store's database; the same queries on SQLite and PostgreSQL. Writes
 * are single statements outside the store's revisioned transactions (an audit row is not a change
 * of clients or keys), queued behind this process's other writers to the same SQLite file.
 */
export function createAuditStore(ctx: StoreContext): AuditStore {
  const { db } = ctx;
  return {
    async append(events) {
      for (let start = 0; start < events.length; start += INSERT_BATCH) {
        const rows = events.slice(start, start + INSERT_BATCH).map(toRow);
        await ctx.exclusive(() => db.insertInto('m2m_audit_events').values(rows).execute());
      }
    },

    async list(query: AuditQuery = {}) {
      const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), MAX_LIST);
      let select = db.selectFrom('m2m_audit_events').selectAll();
      if (query.clientId !== undefined) select = select.where('client_id', '=', query.clientId);
      if (query.sinceMs !== undefined) select = select.where('time_ms', '>=', query.sinceMs);
      if (query.outcome !== undefined) select = select.where('outcome', '=', query.outcome);
      const rows = await select
        .orderBy('time_ms', 'desc')
        .orderBy('event_id', 'desc')
        .limit(limit)
        .execute();
      return rows.reverse().map(toEvent);
    },

    async purge(beforeMs: number) {
      let total = 0;
      for (;;) {
        const result = await ctx.exclusive(() =>
          db
            .deleteFrom('m2m_audit_events')
            .where('event_id', 'in', (eb) =>
              eb
                .selectFrom('m2m_audit_events')
                .select('event_id')
                .where('time_ms', '<', beforeMs)
                .limit(PURGE_BATCH),
            )
            .executeTakeFirst(),
        );
        const deleted = Number(result.numDeletedRows);
        total += deleted;
        if (deleted < PURGE_BATCH) return total;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },

    usage(query) {
      return queryAuditUsage(db, query);
    },
  };
}

function toRow(event: AuditEvent): AuditEventsTable {
  return {
    event_id: randomUUID(),
    time_ms: event.timeMs,
    outcome: event.outcome,
    client_id: event.clientId,
    audience: event.audience,
    scopes: event.scopes === null ? null : JSON.stringify(event.scopes),
    jti: event.jti,
    source_address: event.sourceAddress,
    reason: event.reason,
    detail: event.detail,
    status: event.status,
  };
}

function toEvent(row: AuditEventsTable): StoredAuditEvent {
  return {
    eventId: row.event_id,
    timeMs: Number(row.time_ms),
    outcome: row.outcome as AuditOutcome,
    clientId: row.client_id,
    audience: row.audience,
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
    jti: row.jti,
    sourceAddress: row.source_address,
    reason: row.reason,
    detail: row.detail,
    status: Number(row.status),
  };
}
