import type { KeyEncryptionKey } from '../../keys/key-encryption-key.js';
import type { Db } from './database.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** What the client registry and the key store share: the database and the clock. */
export interface StoreContext {
  db: Db;
  dialect: StoreDialect;
  /** Current time, Unix seconds. */
  now(): number;
  /** The key-encryption key, resolved on first use (the client registry never needs it). */
  keyEncryptionKey(): Promise<KeyEncryptionKey>;
}
