import { VerifierError } from '../errors.js';
import type { RevocationStatus, RevocationsWhenStale, VerifierLogger } from '../types.js';
import { readBoundedBody } from './read-bounded-body.js';

/** Largest revocation feed body read, bytes: thousands of entries fit. */
export const MAX_REVOCATIONS_BYTES = 1024 * 1024;

/** Settings of a {@link RevocationFeed}, resolved from the verifier options. */
export interface RevocationFeedSettings {
  readonly url: URL;
  /** Milliseconds between two polls. */
  readonly pollIntervalMs: number;
  /** Milliseconds one fetch (connection, response and body) may take. */
  readonly timeoutMs: number;
  /** Milliseconds after the last successful fetch beyond which the list is stale. */
  readonly maxStaleMs: number;
  readonly whenStale: RevocationsWhenStale;
  /** The verifier's issuer; the feed's `iss` must equal it (skipped when undefined). */
  readonly issuer: string | undefined;
  readonly logger: VerifierLogger | undefined;
}

/**
 * The receiver's copy of the authorization server's revocation feed (`GET /revocations`), polled
 * in the background every `pollIntervalMs` (an unref'd timer: it never keeps a process alive),
 * one request at a time whatever the number of concurrent verifications, with `If-None-Match`.
 * While the feed is unreachable the last list is kept; the outage and its end are logged once.
 *
 * The request path reads two plain fields: {@link RevocationFeed.waitAtMs} (a number compared with
 * the clock) and the `jtis` / `clients` sets (looked up only when non-empty).
 */
export class RevocationFeed {
  /** Revoked token ids. */
  jtis: ReadonlySet<string> = new Set();
  /** client_ids all of whose tokens are revoked. */
  clients: ReadonlySet<string> = new Set();
  /**
   * `Date.now()` from which a verification must call {@link RevocationFeed.settle} before trusting
   * the list: at once until the first fetch has been tried, then (with `whenStale: "refuse"`) when
   * the list becomes stale; `Infinity` otherwise.
   */
  waitAtMs = Number.NEGATIVE_INFINITY;
  /** Called with the new sets whenever the list changes (to drop covered cached tokens). */
  onChange: (() => void) | undefined;

  readonly #settings: RevocationFeedSettings;
  #etag: string | undefined;
  #fetchedAtMs: number | undefined;
  #attemptedAtMs = Number.NEGATIVE_INFINITY;
  #lastError: string | undefined;
  #failingSinceMs: number | undefined;
  #staleLogged = false;
  #polling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(settings: RevocationFeedSettings) {
    this.#settings = settings;
  }

  /** Starts polling: a first fetch now, then one every `pollIntervalMs`. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.poll().catch(() => {});
    this.#timer = setInterval(() => {
      this.poll().catch(() => {});
    }, this.#settings.pollIntervalMs);
    this.#timer.unref();
  }

  /** Stops the background polling (the last list stays). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Fetches the feed once, or joins the fetch in flight. Never rejects. */
  poll(): Promise<void> {
    this.#polling ??= this.#fetch().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  /**
   * Waits until the list may be used for a verification at `nowMs`: the first fetch has been
   * tried, and, with `whenStale: "refuse"`, the list is fresh — trying one more fetch (shared, at
   * most one per poll interval) when it is not.
   *
   * @throws VerifierError `ERR_REVOCATIONS_UNAVAILABLE` when the list is stale beyond the bound
   *   (or was never fetched) and `whenStale` is `"refuse"`.
   */
  async settle(nowMs: number): Promise<void> {
    if (this.#polling !== undefined) await this.#polling;
    else if (this.#attemptedAtMs === Number.NEGATIVE_INFINITY) await this.poll();
    if (this.#settings.whenStale === 'accept' || !this.#isStale(Date.now())) return;
    if (nowMs - this.#attemptedAtMs >= this.#settings.pollIntervalMs) {
      await this.poll();
      if (!this.#isStale(Date.now())) return;
    }
    throw new VerifierError(
      'ERR_REVOCATIONS_UNAVAILABLE',
      this.#fetchedAtMs === undefined
        ? 'the revocation feed has not been fetched yet'
        : 'the revocation feed is stale beyond revocationsMaxStaleSec',
    );
  }

  /** What {@link Verifier.revocationStatus} reports. */
  status(nowMs: number): RevocationStatus {
    const fetchedAt = this.#fetchedAtMs;
    return Object.freeze({
      fetchedAt: fetchedAt === undefined ? undefined : new Date(fetchedAt),
      ageSec: fetchedAt === undefined ? undefined : (nowMs - fetchedAt) / 1000,
      stale: this.#isStale(nowMs),
      revokedClients: this.clients.size,
      revokedTokens: this.jtis.size,
      lastError: this.#lastError,
    });
  }

  #isStale(nowMs: number): boolean {
    return this.#fetchedAtMs === undefined || nowMs - this.#fetchedAtMs > this.#settings.maxStaleMs;
  }

  #updateWaitAt(): void {
    if (this.#settings.whenStale === 'accept') this.waitAtMs = Number.POSITIVE_INFINITY;
    else if (this.#fetchedAtMs === undefined) this.waitAtMs = Number.NEGATIVE_INFINITY;
    else this.waitAtMs = this.#fetchedAtMs + this.#settings.maxStaleMs;
  }

  async #fetch(): Promise<void> {
    const startedMs = Date.now();
    this.#attemptedAtMs = startedMs;
    try {
      const changed = await this.#download();
      this.#fetchedAtMs = startedMs;
      this.#lastError = undefined;
      if (this.#failingSinceMs !== undefined) {
        this.#settings.logger?.warn(
          `m2m-auth verifier: revocation feed ${this.#settings.url.origin} reachable again after ${Math.round((Date.now() - this.#failingSinceMs) / 1000)} s`,
        );
      }
      this.#failingSinceMs = undefined;
      this.#staleLogged = false;
      if (changed) this.onChange?.();
    } catch (err) {
      this.#lastError = err instanceof Error ? err.message : String(err);
      const nowMs = Date.now();
      if (this.#failingSinceMs === undefined) {
        this.#failingSinceMs = nowMs;
        this.#settings.logger?.warn(
          `m2m-auth verifier: revocation feed ${this.#settings.url.origin} unreachable (${this.#lastError}); keeping the last list (${this.clients.size} clients, ${this.jtis.size} tokens)`,
        );
      }
      if (!this.#staleLogged && this.#isStale(nowMs)) {
        this.#staleLogged = true;
        this.#settings.logger?.warn(
          this.#settings.whenStale === 'refuse'
            ? `m2m-auth verifier: revocation feed stale beyond ${this.#settings.maxStaleMs / 1000} s (or never fetched): refusing tokens until it is fetched (revocationsWhenStale: "refuse")`
            : `m2m-auth verifier: revocation feed stale beyond ${this.#settings.maxStaleMs / 1000} s (or never fetched): still accepting tokens with the last list (revocationsWhenStale: "accept")`,
        );
      }
    } finally {
      this.#updateWaitAt();
    }
  }

  /** GETs the feed; true when the list changed. @throws Error with a one-line reason. */
  async #download(): Promise<boolean> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#etag !== undefined) headers['if-none-match'] = this.#etag;
    const response = await fetch(this.#settings.url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(this.#settings.timeoutMs),
      headers,
    });
    if (response.status === 304 && this.#etag !== undefined) {
      await response.body?.cancel().catch(() => {});
      return false;
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`revocation feed responded with HTTP ${response.status}`);
    }
    const { jtis, clients } = this.#parse(
      await readBoundedBody(response, MAX_REVOCATIONS_BYTES, 'revocation feed'),
    );
    this.#etag = response.headers.get('etag') ?? undefined;
    const changed = !sameSet(jtis, this.jtis) || !sameSet(clients, this.clients);
    if (changed) {
      this.jtis = jtis;
      this.clients = clients;
    }
    return changed;
  }

  #parse(text: string): { jtis: Set<string>; clients: Set<string> } {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('revocation feed is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new Error('revocation feed is not a JSON object');
    }
    const feed = body as Record<string, unknown>;
    if (this.#settings.issuer !== undefined && feed['iss'] !== this.#settings.issuer) {
      throw new Error('revocation feed iss is not the configured issuer');
    }
    return {
      clients: readIds(feed['revoked_clients'], 'client_id'),
      jtis: readIds(feed['revoked_tokens'], 'jti'),
    };
  }
}

function readIds(list: unknown, member: string): Set<string> {
  if (!Array.isArray(list)) throw new Error(`revocation feed lacks its ${member} list`);
  const ids = new Set<string>();
  for (const entry of list) {
    const id: unknown =
      typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[member] : 0;
    if (typeof id !== 'string' || id === '') {
      throw new Error(`revocation feed has an entry without a ${member}`);
    }
    ids.add(id);
  }
  return ids;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}
