import type { KeyRecord } from './import-keys.js';
import type { ValidatedToken } from './validate-claims.js';

/** A verified token, with the key that verified it. */
export interface CacheEntry {
  readonly token: ValidatedToken;
  readonly record: KeyRecord;
}

/**
 * A bounded map of tokens that verified, keyed by the whole token string: a hit means the exact
 * same characters verified before, so no crafted token can collide with a cached one and borrow
 * its claims (which a short hash of the token could allow), and a hit costs one string hash and
 * compare instead of a digest (a SHA-256 key cost about 5 µs per request, a quarter of a light
 * route's time: bench/ANALYSIS.md). The price is that the cache holds accepted bearer tokens
 * until they expire or are evicted; a token issued by m2m-auth is bound to this receiver's
 * audience, so one read from this process's memory is good only against this process. Only
 * successes are stored; callers re-check `exp`/`nbf` and the key's trust on every hit. When full,
 * the oldest insertion is evicted (Map iteration order).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, CacheEntry>();

  /** @param maxEntries - most entries kept. */
  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): CacheEntry | undefined {
    return this.entries.get(token);
  }

  set(token: string, entry: CacheEntry): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  /** Drops every entry verified by a key that is no longer trusted. */
  dropUntrusted(): void {
    for (const [key, entry] of this.entries) {
      if (!entry.record.trusted) this.entries.delete(key);
    }
  }
}
