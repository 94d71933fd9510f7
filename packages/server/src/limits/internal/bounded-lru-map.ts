/**
 * A Map that holds at most `maxEntries` entries: adding one more drops the least recently written
 * (Map keeps insertion order, and `set` re-inserts). Memory stays bounded whatever keys an attacker
 * makes up; the cost is that a flood of new keys can push old entries out early.
 */
export class BoundedLruMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value` as the most recently written entry, dropping the oldest when full. */
  set(key: K, value: V): void {
    if (!this.#entries.delete(key) && this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }
}
