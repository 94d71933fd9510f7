import type { StoredAuditEvent } from './audit-event.js';
import type { AuditStore } from './audit-store.js';

/**
 * How far back each check looks, milliseconds, before the newest event seen: a server stores its
 * events in batches about once a second (`serve --audit-store`), so an event can become visible
 * after a later one from another instance; events stored later than this behind are not shown.
 */
export const FOLLOW_LOOKBACK_MS = 10_000;

/** Most events one check reads; a check that finds this many says so (`truncated`). */
const FOLLOW_BATCH = 10_000;

/** What {@link AuditFollower.poll} found. */
export interface AuditFollowBatch {
  /** Events not shown before, oldest first. */
  events: StoredAuditEvent[];
  /** True when the check read its maximum: events beyond it wait for the next check or are lost. */
  truncated: boolean;
}

/** Options of {@link AuditFollower}. */
export interface AuditFollowerOptions {
  /** Only events of this client_id (as recorded). */
  clientId?: string;
  /** When the events in `shown` were listed, Unix milliseconds. */
  startMs: number;
  /** Events already shown (the initial listing): never shown again. */
  shown: readonly StoredAuditEvent[];
  /**
   * True when the initial listing was cut by its limit: older events it left out are not shown
   * by the checks either (the follower starts at the newest listed event).
   */
  limited: boolean;
}

/**
 * Finds audit events stored since the last check, for `m2m-auth audit tail --follow`: each check
 * reads the events from {@link FOLLOW_LOOKBACK_MS} before the newest one seen and keeps those whose
 * identifier it has not seen. Memory is bounded by the events of that window.
 */
export class AuditFollower {
  readonly #audit: AuditStore;
  readonly #clientId: string | undefined;
  /** eventId → timeMs of the events seen within the window. */
  readonly #seen = new Map<string, number>();
  /** Events before this time are never shown. */
  readonly #floorMs: number;
  /** The newest event time seen (or the start). */
  #cursorMs: number;

  constructor(audit: AuditStore, options: AuditFollowerOptions) {
    this.#audit = audit;
    this.#clientId = options.clientId;
    this.#cursorMs = options.startMs;
    for (const event of options.shown) this.#remember(event);
    const newestShown = options.shown.at(-1)?.timeMs;
    this.#floorMs =
      options.limited && newestShown !== undefined
        ? newestShown
        : options.startMs - FOLLOW_LOOKBACK_MS;
  }

  /**
   * Reads the events stored since the last check.
   *
   * @throws whatever the store throws (e.g. `StoreError` when the database is unreachable); the
   *   follower's state is unchanged then, so the next check picks up where this one failed.
   */
  async poll(): Promise<AuditFollowBatch> {
    const sinceMs = Math.max(this.#floorMs, this.#cursorMs - FOLLOW_LOOKBACK_MS);
    const found = await this.#audit.list({
      sinceMs,
      limit: FOLLOW_BATCH,
      ...(this.#clientId === undefined ? {} : { clientId: this.#clientId }),
    });
    const events = found.filter((event) => !this.#seen.has(event.eventId));
    for (const event of events) this.#remember(event);
    // Ids older than the next check's window can never be read again.
    const nextSinceMs = Math.max(this.#floorMs, this.#cursorMs - FOLLOW_LOOKBACK_MS);
    for (const [eventId, timeMs] of this.#seen) {
      if (timeMs < nextSinceMs) this.#seen.delete(eventId);
    }
    return { events, truncated: found.length >= FOLLOW_BATCH };
  }

  #remember(event: StoredAuditEvent): void {
    this.#seen.set(event.eventId, event.timeMs);
    if (event.timeMs > this.#cursorMs) this.#cursorMs = event.timeMs;
  }
}
