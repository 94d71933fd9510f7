import type { AuditEvent, AuditOutcome, StoredAuditEvent } from './audit-event.js';
import type { AuditUsage, AuditUsageQuery } from './audit-usage.js';

/** Filter of {@link AuditStore.list}. */
export interface AuditQuery {
  /** Only events of this client_id (as recorded). */
  clientId?: string;
  /** Only events at or after this time, Unix milliseconds. */
  sinceMs?: number;
  /** Only issued tokens, or only refused requests. */
  outcome?: AuditOutcome;
  /** At most this many events, the most recent ones; default 100, at most 10000. */
  limit?: number;
}

/**
 * The audit table (`serve --audit-store`): a bounded, purged copy of the audit events that the
 * server always writes as log lines. Writing bumps no store revision (the server's caches stay).
 */
export interface AuditStore {
  /** Appends events in one statement; an empty list does nothing. */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** The most recent events matching `query`, oldest first, each with its row identifier. */
  list(query?: AuditQuery): Promise<StoredAuditEvent[]>;
  /**
   * Deletes events older than `beforeMs` (Unix milliseconds) in batches of 1000, yielding between
   * batches so a large purge never blocks the server; resolves to how many were deleted.
   */
  purge(beforeMs: number): Promise<number>;
  /**
   * Token counts and refusals of a period, aggregated in the database (GROUP BY), so memory stays
   * bounded whatever the table size: see {@link AuditUsage}. Read-only.
   */
  usage(query: AuditUsageQuery): Promise<AuditUsage>;
}
