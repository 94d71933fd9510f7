import type { KeyRecord } from './import-keys.js';
import type { ValidatedToken } from './validate-claims.js';

/** A verified token, with the key that verified it. */
export interface CacheEntry {
  readonly token: ValidatedToken;
  readonly record: KeyRecord;
}

interface StoredEntry extends CacheEntry {
  /** The whole token that verified; a lookup hits only when it is exactly equal. */
  readonly compact: string;
}

/**
 * Characters at the end of a token that index the map: the last 32 of the signature (192 bits of
 * it). Hashing the whole token for a Map lookup cost about 1.5 µs on a real route (V8 hashes every
 * character of a fresh string); its tail costs a tenth of that.
 */
const INDEX_LENGTH = 32;

/**
 * A bounded map of tokens that verified. A hit requires the exact same characters as a token that
 * verified: the map is indexed by the token's last 32 characters (signature bytes, which differ
 * between any two tokens an issuer signs) and every hit compares the whole token, so no crafted
 * token can borrow a cached one's claims — a token that merely shares the tail is a miss and goes
 * through full verification. A hit costs one short string hash and one string comparison (keying
 * by SHA-256 of the token, before, cost about 5 µs per request, a quarter of a light route's time:
 * bench/ANALYSIS.md). The price is that the cache holds accepted bearer tokens until they expire or
 * are evicted; a token issued by m2m-auth is bound to this receiver's audience, so one read from
 * this process's memory is good only against this process. Only successes are stored; callers
 * re-check `exp`/`nbf` and the key's trust on every hit. When full, the oldest insertion is
 * evicted (Map iteration order).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, StoredEntry>();

  /** @param maxEntries - most entries kept. */
  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry of exactly this token, if it verified before. */
  get(token: string): CacheEntry | undefined {
    const entry = this.entries.get(indexOf(token));
    return entry !== undefined && entry.compact === token ? entry : undefined;
  }

  /** Stores a token that verified (replacing any entry with the same index). */
  set(token: string, entry: CacheEntry): void {
    const index = indexOf(token);
    if (this.entries.size >= this.maxEntries && !this.entries.has(index)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(index, { token: entry.token, record: entry.record, compact: token });
  }

  /** Forgets this token (no-op for another token that shares its index). */
  delete(token: string): void {
    const index = indexOf(token);
    if (this.entries.get(index)?.compact === token) this.entries.delete(index);
  }

  /** Drops every entry whose token matches `covered` (e.g. listed by the revocation feed). */
  dropWhere(covered: (token: ValidatedToken) => boolean): void {
    for (const [index, entry] of this.entries) {
      if (covered(entry.token)) this.entries.delete(index);
    }
  }

  /** Drops every entry verified by a key that is no longer trusted. */
  dropUntrusted(): void {
    for (const [index, entry] of this.entries) {
      if (!entry.record.trusted) this.entries.delete(index);
    }
  }
}

function indexOf(token: string): string {
  return token.length > INDEX_LENGTH ? token.slice(-INDEX_LENGTH) : token;
}
