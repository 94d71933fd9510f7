import type { StoreContext } from '../store/internal/context.js';
import type { Trx } from '../store/internal/database.js';
import type { KeyEncryptionKey } from './key-encryption-key.js';

/** What the key store needs besides the database: the key-encryption key and the clients' longest TTL. */
export interface KeyStoreContext extends StoreContext {
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
  /**
   * The longest access-token lifetime of any client, seconds, read inside `trx` (a retired key
   * stays published until every token it signed has expired). The client registry owns that table.
   */
  maxTokenTtlSec(trx: Trx): Promise<number>;
}
