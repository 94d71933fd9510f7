import { existsSync } from 'node:fs';
import type { StoreDialect } from '../store/internal/context.js';
import type { Db } from '../store/internal/database.js';
import { StoreError } from '../store/store-error.js';
import { decryptPrivateKey } from './internal/private-key-encryption.js';
import {
  ephemeralKeyEncryptionKey,
  type KeyEncryptionKey,
  keyEncryptionKeyFromBytes,
  loadOrCreateKeyEncryptionKeyFile,
  parseKeyEncryptionKey,
} from './key-encryption-key.js';
import type { KeyStoreContext } from './key-store-context.js';

/**
 * The key-encryption key given as the `kek` option (32 bytes, or their base64) or, without it,
 * as `M2M_AUTH_KEK` in `env`; undefined when neither is set.
 *
 * @throws {StoreError} `ERR_INVALID_KEK` for a malformed key
 */
export function explicitKeyEncryptionKey(
  kek: string | Uint8Array | undefined,
  env: Readonly<Record<string, string | undefined>>,
): KeyEncryptionKey | undefined {
  let explicitKek: KeyEncryptionKey | undefined;
  if (kek instanceof Uint8Array) {
    explicitKek = keyEncryptionKeyFromBytes(kek, 'option');
  } else if (typeof kek === 'string') {
    explicitKek = parseKeyEncryptionKey(kek, 'the kek option', 'option');
  } else if (env['M2M_AUTH_KEK']) {
    explicitKek = parseKeyEncryptionKey(env['M2M_AUTH_KEK'], 'M2M_AUTH_KEK', 'env');
  }
  return explicitKek;
}

/** Options of {@link createKeyEncryptionKeySource}. */
export interface KeyEncryptionKeySourceOptions {
  db: Db;
  dialect: StoreDialect;
  /** The SQLite database's path (its key file is `<path>.kek`); `:memory:` has none. */
  sqlitePath?: string;
  /** From {@link explicitKeyEncryptionKey}: wins over any key file. */
  explicitKek: KeyEncryptionKey | undefined;
  /** Receives one-line warnings (a key file read or created). */
  warn: (message: string) => void;
}

/**
 * Where the key store gets its key-encryption key: the explicit one; on PostgreSQL nothing else
 * (`ERR_KEK_REQUIRED`); on SQLite the key file next to the database, created only for a database that
 * holds no encrypted key yet; for `:memory:` an ephemeral one. Resolved on first use; a failed
 * resolution is not cached, so the next call reports it again.
 */
export function createKeyEncryptionKeySource(
  options: KeyEncryptionKeySourceOptions,
): Pick<KeyStoreContext, 'keyEncryptionKey' | 'verifiedKeyEncryptionKey'> {
  const { db, dialect, sqlitePath, explicitKek, warn } = options;
  const kekFile =
    sqlitePath !== undefined && sqlitePath !== ':memory:' ? `${sqlitePath}.kek` : undefined;

  let kekPromise: Promise<KeyEncryptionKey> | undefined;
  const resolveKek = async (): Promise<KeyEncryptionKey> => {
    if (explicitKek) return explicitKek;
    if (dialect === 'postgres') {
      throw new StoreError(
        'ERR_KEK_REQUIRED',
        'M2M_AUTH_KEK is required with PostgreSQL (32 bytes, base64; generate one with: openssl rand -base64 32)',
      );
    }
    if (kekFile === undefined) return ephemeralKeyEncryptionKey();
    // A new key file is only right for a database that holds no encrypted key yet: otherwise the
    // keys were encrypted under M2M_AUTH_KEK or a key file that is missing here (a command run
    // without the variable, a backup restored without its .kek), and a new file would make every
    // key written from now on unusable to the servers that have the right one.
    if (!existsSync(kekFile)) {
      const stored = await db
        .selectFrom('m2m_signing_keys')
        .select('kid')
        .where('private_key_jwe', 'is not', null)
        .executeTakeFirst();
      if (stored !== undefined) {
        throw new StoreError(
          'ERR_KEK_REQUIRED',
          `the signing keys in ${sqlitePath} are encrypted, but M2M_AUTH_KEK is not set and the key file ${kekFile} does not exist; set M2M_AUTH_KEK to the key they were encrypted with, or put their key file back at ${kekFile} (nothing was written)`,
        );
      }
    }
    return loadOrCreateKeyEncryptionKeyFile(kekFile, warn);
  };
  const keyEncryptionKey = (): Promise<KeyEncryptionKey> => {
    kekPromise ??= resolveKek();
    // A failed resolution is not cached, so that the next call reports it again.
    return kekPromise.catch((err: unknown) => {
      kekPromise = undefined;
      throw err;
    });
  };

  return {
    keyEncryptionKey,
    async verifiedKeyEncryptionKey() {
      const kek = await keyEncryptionKey();
      const rows = await db
        .selectFrom('m2m_signing_keys')
        .select(['kid', 'state', 'private_key_jwe'])
        .where('private_key_jwe', 'is not', null)
        .execute();
      for (const row of rows) {
        if (row.private_key_jwe === null) continue;
        try {
          await decryptPrivateKey(row.private_key_jwe, row.kid, kek);
        } catch (err) {
          if (!(err instanceof StoreError) || err.code !== 'ERR_KEK_MISMATCH') throw err;
          throw new StoreError(
            'ERR_KEK_MISMATCH',
            `${describeKekSource(kek, kekFile)} does not decrypt the ${row.state} signing key ${row.kid} already stored; set M2M_AUTH_KEK to the key the stored keys were encrypted with${kekFile === undefined ? '' : ` (or unset it if they were encrypted under the key file ${kekFile})`}, or revoke that key (nothing was written)`,
            { cause: err },
          );
        }
      }
      return kek;
    },
  };
}

/** How a key-encryption key is named in messages: by the variable, option or file it came from. */
function describeKekSource(kek: KeyEncryptionKey, kekFile: string | undefined): string {
  switch (kek.source) {
    case 'env':
      return 'M2M_AUTH_KEK';
    case 'option':
      return 'the kek option';
    case 'file':
      return `the key file ${kekFile} (used because M2M_AUTH_KEK is not set)`;
    default:
      return 'the in-memory key-encryption key';
  }
}
