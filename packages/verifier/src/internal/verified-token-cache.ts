import { hash } from 'node:crypto';
import type { KeyRecord } from './import-keys.js';
import type { ValidatedToken } from './validate-claims.js';

/** A verified token, with the key that verified it. */
export interface CacheEntry {
  readonly token: ValidatedToken;
  readonly record: KeyRecord;
}

/**
 * A bounded map of tokens that verified, keyed by the SHA-256 of the whole token, so the cache
 * holds no bearer token and a hit means the exact same bytes verified before (a fast
 * non-cryptographic hash would let a crafted token collide with a cached one and borrow its
 * claims). Only successes are stored; callers re-check `exp`/`nbf` and the key's trust on every
 * hit. When full, the oldest insertion is evicted (Map iteration order).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, CacheEntry>();

  /** @param maxEntries - most entries kept. */
  constructor(private readonly maxEntries: number) {}

  /** The cache key of a token: its SHA-256, as a 44-character base64 string. */
  static keyOf(token: string): string {
    // node:crypto because jose has no hash API; the one-shot `hash` avoids a Hash object.
    return hash('sha256', token, 'base64');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: CacheEntry): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry verified by a key that is no longer trusted. */
  dropUntrusted(): void {
    for (const [key, entry] of this.entries) {
      if (!entry.record.trusted) this.entries.delete(key);
    }
  }
}
