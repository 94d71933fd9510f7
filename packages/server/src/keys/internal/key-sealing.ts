import type { SigningKeysTable } from '../../store/internal/database.js';
import { StoreError } from '../../store/store-error.js';
import type { KeyEncryptionKey } from '../key-encryption-key.js';
import type { KeyStoreContext } from '../key-store-context.js';
import type { SigningKeyPair } from '../signing-key-pair.js';
import { decryptPrivateKey, encryptPrivateKey } from './private-key-encryption.js';

/** Encryption of private keys at rest, for the key store; see {@link createKeySealing}. */
export interface KeySealing {
  /** Encrypts a new key under `kek`, or under the key-encryption key once it is proven to decrypt the stored keys. */
  seal(pair: SigningKeyPair, kek?: KeyEncryptionKey): Promise<string>;
  /** The private key of a stored row as PKCS#8 PEM. @throws {StoreError} `ERR_KEY_DECRYPTION_FAILED`, `ERR_KEK_MISMATCH`, … */
  open(row: SigningKeysTable): Promise<string>;
  /**
   * Throws unless `row`'s private key decrypts under `kek`: a key this process could not decrypt
   * must not become active (nothing would sign any more).
   */
  assertDecryptable(row: SigningKeysTable, kek: KeyEncryptionKey): Promise<void>;
  /** Why `row` cannot be activated by this process (its private key does not decrypt), if so. */
  activationProblem(
    row: SigningKeysTable,
    kek: KeyEncryptionKey | undefined,
    kekError: unknown,
  ): Promise<{ code: string; message: string } | undefined>;
}

/** Private keys sealed with JWE under the store's key-encryption key (see private-key-encryption.ts). */
export function createKeySealing(ctx: KeyStoreContext): KeySealing {
  async function assertDecryptable(row: SigningKeysTable, kek: KeyEncryptionKey): Promise<void> {
    if (row.private_key_jwe === null) {
      throw new StoreError('ERR_KEY_DECRYPTION_FAILED', `key ${row.kid} has no private key`);
    }
    await decryptPrivateKey(row.private_key_jwe, row.kid, kek);
  }

  return {
    async seal(pair, kek) {
      return encryptPrivateKey(
        pair.privateKeyPem,
        pair.kid,
        kek ?? (await ctx.verifiedKeyEncryptionKey()),
      );
    },

    async open(row) {
      if (row.private_key_jwe === null) {
        throw new StoreError(
          'ERR_KEY_DECRYPTION_FAILED',
          `active key ${row.kid} has no private key`,
        );
      }
      return decryptPrivateKey(row.private_key_jwe, row.kid, await ctx.keyEncryptionKey());
    },

    assertDecryptable,

    async activationProblem(row, kek, kekError) {
      try {
        if (kek === undefined) throw kekError;
        await assertDecryptable(row, kek);
        return undefined;
      } catch (err) {
        const code = err instanceof StoreError ? err.code : 'ERR_KEY_DECRYPTION_FAILED';
        const reason = err instanceof Error ? err.message : String(err);
        return {
          code,
          message: `signing key ${row.kid} is due to become active but this process cannot decrypt it (${reason}); the current key keeps signing`,
        };
      }
    },
  };
}
