import { resolvePositiveIntegerOptions } from '../internal/resolve-positive-integer-options.js';
import type { AuditEvent } from './audit-event.js';
import type { AuditStore } from './audit-store.js';
import { isRowDataError } from './internal/is-row-data-error.js';
import { sanitizeAuditEvent } from './internal/sanitize-audit-event.js';

/** Events per insert statement: one statement is all-or-nothing, so a failed one can be retried. */
const WRITE_CHUNK = 500;

/** Options of the audit table writer (`serve --audit-store`). */
export interface AuditStoreOptions {
  /** How long events are kept, seconds; default 2592000 (30 days). Older ones are purged. */
  retentionSec?: number;
  /** How often queued events are written in one batch, milliseconds; default 1000. */
  flushIntervalMs?: number;
  /**
   * Most events waiting to be written; default 10000. When the database cannot keep up, further
   * events are dropped from the table (never from the log) and the count is logged.
   */
  maxQueuedEvents?: number;
  /** How often events past the retention period are purged, seconds; default 3600. */
  purgeIntervalSec?: number;
}

/** Defaults of {@link AuditStoreOptions}. */
export const DEFAULT_AUDIT_STORE_OPTIONS: Readonly<Required<AuditStoreOptions>> = Object.freeze({
  retentionSec: 30 * 86_400,
  flushIntervalMs: 1000,
  maxQueuedEvents: 10_000,
  purgeIntervalSec: 3600,
});

/** The logger the writer reports failures and drops to. */
export interface AuditWriterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Copies audit events to the audit table without slowing the requests that produce them: events
 * are queued in memory (bounded) and written in batches by a timer, and events older than the
 * retention period are purged on another timer, so the table's size stays bounded by traffic ×
 * retention. A token request never waits for the database because of auditing.
 *
 * Text is stored sanitized (control characters and unpaired surrogates as `\uXXXX`). A batch the
 * database refuses because of its data (see `isRowDataError`), not because it is unreachable, is
 * retried one event at a time: the events it refuses are dropped from the table (never from the
 * log), counted and logged, and every other event is written — one bad event never holds up the
 * others. A batch that fails for any other reason (an outage) is put back and retried.
 */
export class AuditWriter {
  readonly #store: AuditStore;
  readonly #logger: AuditWriterLogger;
  readonly #options: Required<AuditStoreOptions>;
  #queue: AuditEvent[] = [];
  #dropped = 0;
  #refused = 0;
  #writtenTotal = 0;
  #droppedTotal = 0;
  #flushing: Promise<void> | undefined;
  #purging: Promise<void> | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #purgeTimer: NodeJS.Timeout | undefined;

  /**
   * @param store - the audit table (`store.audit`).
   * @param options - see {@link AuditStoreOptions}.
   * @param logger - where failures and drops are reported.
   * @throws TypeError when an option is not a positive integer.
   */
  constructor(store: AuditStore, options: AuditStoreOptions, logger: AuditWriterLogger) {
    this.#options = resolvePositiveIntegerOptions(
      'auditStore',
      DEFAULT_AUDIT_STORE_OPTIONS,
      options,
    );
    this.#store = store;
    this.#logger = logger;
  }

  /** Events written to the table since start (for metrics). */
  get writtenTotal(): number {
    return this.#writtenTotal;
  }

  /**
   * Events dropped from the table since start (for metrics; they are in the log): queue full, or
   * refused by the database for their content (also in {@link AuditWriter.refusedEvents}).
   */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** Queues an event for the next batch; drops it (and counts the drop) when the queue is full. */
  append(event: AuditEvent): void {
    if (this.#queue.length >= this.#options.maxQueuedEvents) {
      this.#dropped += 1;
      this.#droppedTotal += 1;
      return;
    }
    this.#queue.push(sanitizeAuditEvent(event));
  }

  /** How many events the database refused for their content (dropped from the table) so far. */
  get refusedEvents(): number {
    return this.#refused;
  }

  /** Starts the flush and purge timers, and purges once now. */
  start(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setInterval(() => void this.flush(), this.#options.flushIntervalMs);
    this.#flushTimer.unref();
    this.#purgeTimer = setInterval(() => void this.purge(), this.#options.purgeIntervalSec * 1000);
    this.#purgeTimer.unref();
    void this.purge();
  }

  /** Writes the queued events now (one batch at a time); failures are logged, never thrown. */
  flush(): Promise<void> {
    this.#flushing ??= this.#writeQueued().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Deletes events older than the retention period now; failures are logged, never thrown. */
  purge(): Promise<void> {
    this.#purging ??= (async () => {
      try {
        const before = Date.now() - this.#options.retentionSec * 1000;
        const deleted = await this.#store.purge(before);
        if (deleted > 0) {
          this.#logger.info(
            { deleted, retentionSec: this.#options.retentionSec },
            'audit events purged',
          );
        }
      } catch (err) {
        this.#logger.error({ err }, 'purging old audit events failed');
      }
    })().finally(() => {
      this.#purging = undefined;
    });
    return this.#purging;
  }

  /** Stops the timers and writes what is queued (waiting for a running flush or purge first). */
  async close(): Promise<void> {
    if (this.#flushTimer !== undefined) clearInterval(this.#flushTimer);
    if (this.#purgeTimer !== undefined) clearInterval(this.#purgeTimer);
    this.#flushTimer = undefined;
    this.#purgeTimer = undefined;
    await this.#purging;
    await this.flush();
    // Events queued while the last flush ran.
    if (this.#queue.length > 0) await this.flush();
  }

  async #writeQueued(): Promise<void> {
    if (this.#dropped > 0) {
      this.#logger.warn(
        { dropped: this.#dropped, maxQueuedEvents: this.#options.maxQueuedEvents },
        'audit table writer fell behind: events dropped from the table (they are in the log)',
      );
      this.#dropped = 0;
    }
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    for (let start = 0; start < batch.length; start += WRITE_CHUNK) {
      const chunk = batch.slice(start, start + WRITE_CHUNK);
      try {
        await this.#store.append(chunk);
        this.#writtenTotal += chunk.length;
      } catch (err) {
        const unwritten = isRowDataError(err)
          ? await this.#writeOneByOne(chunk)
          : { err, events: chunk };
        if (unwritten !== undefined) {
          this.#putBack([...unwritten.events, ...batch.slice(start + WRITE_CHUNK)], unwritten.err);
          return;
        }
      }
    }
  }

  /**
   * Writes a chunk the database refused for its data one event at a time, dropping (and counting)
   * the events it refuses. Returns what is left when the database stops answering meanwhile.
   */
  async #writeOneByOne(
    chunk: readonly AuditEvent[],
  ): Promise<{ err: unknown; events: AuditEvent[] } | undefined> {
    for (const [i, event] of chunk.entries()) {
      try {
        await this.#store.append([event]);
        this.#writtenTotal += 1;
      } catch (err) {
        if (!isRowDataError(err)) return { err, events: chunk.slice(i) };
        this.#refused += 1;
        // Not in the table: a drop for the metrics, whatever the reason.
        this.#droppedTotal += 1;
        // The error's message may quote the refused value: log its code only.
        this.#logger.warn(
          {
            code: (err as { code?: unknown }).code ?? (err as Error).name,
            refusedTotal: this.#refused,
            timeMs: event.timeMs,
            reason: event.reason,
          },
          'the database refused an audit event: dropped from the table (it is in the log)',
        );
      }
    }
    return undefined;
  }

  /** Puts unwritten events back in front of the queue while there is room (a short outage loses nothing). */
  #putBack(events: AuditEvent[], err: unknown): void {
    const room = this.#options.maxQueuedEvents - this.#queue.length;
    const kept = events.slice(Math.max(0, events.length - room));
    this.#dropped += events.length - kept.length;
    this.#droppedTotal += events.length - kept.length;
    this.#queue = [...kept, ...this.#queue];
    this.#logger.error({ err, events: events.length }, 'writing audit events failed; will retry');
  }
}
