import type { KeyEncryptionKey } from '../../keys/key-encryption-key.js';
import type { Db } from './database.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** What the client registry and the key store share: the database and the clock. */
export interface StoreContext {
  db: Db;
  dialect: StoreDialect;
  /** Current time, Unix seconds. */
  now(): number;
  /**
   * Runs `fn` exclusively among this process's writers to the same database (SQLite: see
   * in-process-lock.ts; PostgreSQL: no-op, the database serializes).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** The key-encryption key, resolved on first use (the client registry never needs it). */
  keyEncryptionKey(): Promise<KeyEncryptionKey>;
  /**
   * The key-encryption key, after proving that it decrypts every private key already stored
   * (a trial decryption of each): what every write of a key uses, so
   * that a missing or wrong key fails before anything is written.
   *
   * @throws {StoreError} `ERR_KEK_MISMATCH` (naming `M2M_AUTH_KEK` and the key file) or
   *   `ERR_KEY_DECRYPTION_FAILED`; the resolution errors of {@link keyEncryptionKey}.
   */
  verifiedKeyEncryptionKey(): Promise<KeyEncryptionKey>;
}
