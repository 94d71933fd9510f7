import { VerifierError } from '../errors.js';
import type { VerifierLogger } from '../types.js';
import type { KeyRecord } from './import-keys.js';
import type { KeyLoader } from './key-loaders.js';

/** Settings of a {@link KeyStore}, in seconds. */
export interface KeyStoreOptions {
  readonly loader: KeyLoader;
  /** Longest time loaded keys are trusted without a reload (the documented refresh interval). */
  readonly refreshSec: number;
  /**
   * Shortest time between two loads started by unknown kids or after a failure; also the floor
   * of a server-advertised max-age, so `max-age=0` cannot turn into a fetch per request.
   */
  readonly cooldownSec: number;
  readonly logger: VerifierLogger | undefined;
  /** Called with keys that left the set, so cached tokens they verified can be dropped. */
  readonly onDropped: (records: readonly KeyRecord[]) => void;
  /** Called after every load: a new key set, an unchanged source, or a failure. */
  readonly onLoaded?: (outcome: 'updated' | 'unchanged' | 'failed') => void;
}

/** While nothing was ever loaded, retry at most this often (ms): every request fails meanwhile. */
const INITIAL_RETRY_MS = 1000;

/** Background refresh starts at this fraction of the refresh interval. */
const SOFT_REFRESH_FRACTION = 0.75;

/**
 * The trusted verification keys and when to reload them.
 *
 * Why not jose's `createRemoteJWKSet`: it has the cooldown, timeout and single in-flight fetch we
 * want, but once its cache is older than `cacheMaxAge` a failed reload fails the verification, so
 * an auth-service outage would turn every request into a 401 although we hold the keys; it also
 * gives no hook to drop cached verified tokens when a kid leaves the set, and files (PEM or JWKS)
 * need the same cache. So the cache is ours, on top of jose `importJWK`/`importSPKI` and `fetch`.
 *
 * Schedule (all on the request path, no timers, so an idle process does nothing):
 * - before `refreshSec × 0.75` since the last load: keys are used as they are;
 * - after that: a background reload starts (the request does not wait);
 * - after `refreshSec` (stale): requests wait for the reload, so a key removed from the source is
 *   no longer trusted one interval after it left; unless the last load failed (outage): then the
 *   cached keys keep verifying and reloads are retried in the background every `cooldownSec`;
 * - an unknown kid starts a reload unless one ran less than `cooldownSec` ago; concurrent callers
 *   share one in-flight load.
 */
export class KeyStore {
  /** Time (ms) from which a cache hit must take the slow path that may reload. */
  softRefreshAt = 0;
  private records: readonly KeyRecord[] = [];
  private staleAt = 0;
  private loaded = false;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailure: unknown;
  private inflight: Promise<void> | undefined;
  private readonly refreshMs: number;
  private readonly cooldownMs: number;

  constructor(private readonly options: KeyStoreOptions) {
    this.refreshMs = options.loader.refreshable ? options.refreshSec * 1000 : Infinity;
    this.cooldownMs = options.cooldownSec * 1000;
  }

  /** Number of trusted keys (for tests and diagnostics). */
  get size(): number {
    return this.records.length;
  }

  /**
   * Makes sure keys are loaded and not stale, as described on the class. Cheap when nothing is
   * due: callers check `nowMs >= softRefreshAt` first.
   *
   * @throws VerifierError `ERR_JWKS_UNAVAILABLE` when no key was ever loaded and loading fails.
   */
  async refreshIfDue(nowMs: number): Promise<void> {
    if (nowMs < this.softRefreshAt) return;
    if (!this.loaded) {
      if (this.inflight === undefined && nowMs - this.lastAttemptAt >= this.initialRetryMs()) {
        this.startLoad(nowMs);
      }
      if (this.inflight !== undefined) await this.inflight;
      if (!this.loaded) throw this.unavailable();
      return;
    }
    if (this.inflight === undefined && nowMs - this.lastAttemptAt >= this.cooldownMs) {
      this.startLoad(nowMs);
    }
    // Stale and healthy: wait, so that revoked keys stop working on time. During an outage the
    // cached keys are all we have; waiting for a timeout on every retry would only add latency.
    if (nowMs >= this.staleAt && this.inflight !== undefined && this.lastFailure === undefined) {
      await this.inflight;
    }
  }

  /**
   * The key for a token's `kid` and `alg`, from the keys at hand.
   *
   * @returns the record; `undefined` when none matches; `'ambiguous'` when several keys have the
   *   token's kid (see `markAmbiguousKids`) or the token has no kid
   *   and several keys fit its alg.
   */
  find(kid: string | undefined, alg: string): KeyRecord | 'ambiguous' | undefined {
    let found: KeyRecord | undefined;
    for (const record of this.records) {
      if (record.alg !== alg) continue;
      if (record.anyKid) return record;
      if (kid === undefined || record.kid === kid) {
        if (found !== undefined) return 'ambiguous';
        found = record;
      }
    }
    return found;
  }

  /** Names where the keys come from (e.g. `key file /srv/keys/jwks.json`), for messages. */
  get source(): string {
    return this.options.loader.source;
  }

  /** The kids of the keys at hand (a PEM key's thumbprint), for messages. */
  kids(): string[] {
    const kids = new Set<string>();
    for (const record of this.records) {
      const kid = record.kid ?? record.thumbprint;
      if (kid !== undefined) kids.add(kid);
    }
    return [...kids];
  }

  /** Whether the keys at hand are PEM keys (which match any kid). */
  isPem(): boolean {
    return this.records.length > 0 && this.records.every((record) => record.anyKid);
  }

  /**
   * The key for an unknown kid after at most one reload: joins a reload in flight, or starts one
   * unless the last started less than `cooldownSec` ago (so random kids cannot cause a fetch storm,
   * and a valid new kid waits at most one cooldown).
   *
   * @throws VerifierError `ERR_KEY_UNKNOWN`, or `ERR_JWKS_UNAVAILABLE` when the reload failed.
   */
  async findAfterReload(
    kid: string | undefined,
    alg: string,
    nowMs: number,
  ): Promise<KeyRecord | 'ambiguous' | undefined> {
    if (!this.options.loader.refreshable) return this.find(kid, alg);
    if (this.inflight === undefined && nowMs - this.lastAttemptAt >= this.cooldownMs) {
      this.startLoad(nowMs);
    }
    if (this.inflight !== undefined) await this.inflight;
    const found = this.find(kid, alg);
    if (found === undefined && this.lastFailure !== undefined) throw this.unavailable();
    return found;
  }

  /**
   * Reloads now, whatever the schedule (joins a reload in flight).
   *
   * @throws VerifierError `ERR_JWKS_UNAVAILABLE` when the reload fails (cached keys are kept).
   */
  async reload(): Promise<void> {
    await (this.inflight ?? this.startLoad(Date.now()));
    if (this.lastFailure !== undefined) throw this.unavailable();
  }

  private initialRetryMs(): number {
    return Math.min(this.cooldownMs, INITIAL_RETRY_MS);
  }

  private startLoad(nowMs: number): Promise<void> {
    this.lastAttemptAt = nowMs;
    const load = this.load().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = load;
    return load;
  }

  /** One load; never rejects: a failure is recorded and logged, and the old keys stay. */
  private async load(): Promise<void> {
    const { loader, logger } = this.options;
    try {
      const result = await loader.load();
      if (result.records !== undefined) this.replace(result.records);
      this.options.onLoaded?.(result.records === undefined ? 'unchanged' : 'updated');
      const advertisedMs = result.maxAgeSec === undefined ? Infinity : result.maxAgeSec * 1000;
      const intervalMs = Math.max(this.cooldownMs, Math.min(this.refreshMs, advertisedMs));
      const now = Date.now();
      this.staleAt = now + intervalMs;
      this.softRefreshAt = now + intervalMs * SOFT_REFRESH_FRACTION;
      this.loaded = true;
      if (this.lastFailure !== undefined) {
        logger?.warn(`@m2m-auth/verifier: ${loader.source} is reachable again`);
      }
      this.lastFailure = undefined;
    } catch (err) {
      this.lastFailure = err;
      this.options.onLoaded?.('failed');
      const reason = err instanceof Error ? err.message : String(err);
      const cause = (err as { cause?: { code?: unknown } }).cause?.code;
      logger?.warn(
        `@m2m-auth/verifier: ${loader.source} unavailable (${reason}${
          typeof cause === 'string' ? `: ${cause}` : ''
        }); ${
          this.loaded
            ? `still verifying with ${this.records.length} cached key(s)`
            : 'no keys to verify with yet'
        }`,
      );
    }
  }

  private replace(next: readonly KeyRecord[]): void {
    const previous = new Map(this.records.map((record) => [record.id, record]));
    // Keep the record objects of unchanged keys, so that tokens they verified stay cached.
    const records = next.map((record) => {
      const kept = previous.get(record.id);
      if (kept === undefined) return record;
      previous.delete(record.id);
      return kept;
    });
    this.records = records;
    const dropped = [...previous.values()];
    for (const record of dropped) record.trusted = false;
    if (dropped.length > 0) this.options.onDropped(dropped);
  }

  private unavailable(): VerifierError {
    return new VerifierError(
      'ERR_JWKS_UNAVAILABLE',
      'verification keys are unavailable (key source unreachable)',
      { cause: this.lastFailure },
    );
  }
}
