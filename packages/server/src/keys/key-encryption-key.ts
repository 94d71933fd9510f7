import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { StoreError } from '../store/store-error.js';

/** Length of the key-encryption key: AES-256-GCM takes 32 bytes. */
export const KEK_BYTES = 32;

/** The key that encrypts signing keys' private parts at rest (AES-256-GCM through JWE `dir`). */
export interface KeyEncryptionKey {
  /** 32 raw bytes. */
  bytes: Uint8Array;
  /**
   * Non-secret identifier of the key (truncated SHA-256 over a label and the key), written into each
   * encrypted private key so that decrypting under another key fails with a clear error.
   */
  fingerprint: string;
  /** Where it came from; `file` means the development fallback beside a SQLite database. */
  source: 'env' | 'option' | 'file' | 'ephemeral';
}

/**
 * Decodes a key-encryption key given as base64 (or base64url) text, e.g. `M2M_AUTH_KEK`.
 *
 * @param value base64 of exactly 32 random bytes (`openssl rand -base64 32`)
 * @param sourceName how to call it in the error message (e.g. `M2M_AUTH_KEK`)
 * @throws {StoreError} `ERR_INVALID_KEK` when the text is not base64 or not 32 bytes; the message never
 *   contains the value.
 * @example
 * ```ts
 * const kek = parseKeyEncryptionKey(process.env.M2M_AUTH_KEK!, 'M2M_AUTH_KEK');
 * ```
 */
export function parseKeyEncryptionKey(
  value: string,
  sourceName: string,
  source: KeyEncryptionKey['source'] = 'env',
): KeyEncryptionKey {
  const text = value.trim();
  const hint = 'generate one with: openssl rand -base64 32';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) && !/^[A-Za-z0-9_-]+$/.test(text)) {
    throw new StoreError('ERR_INVALID_KEK', `${sourceName} is not base64 text; ${hint}`);
  }
  const bytes = Buffer.from(
    text,
    text.includes('-') || text.includes('_') ? 'base64url' : 'base64',
  );
  if (bytes.length !== KEK_BYTES) {
    throw new StoreError(
      'ERR_INVALID_KEK',
      `${sourceName} must be ${KEK_BYTES} bytes in base64, got ${bytes.length} bytes; ${hint}`,
    );
  }
  return fromBytes(new Uint8Array(bytes), source);
}

/** A key-encryption key from raw bytes. @throws {StoreError} `ERR_INVALID_KEK` unless 32 bytes. */
export function keyEncryptionKeyFromBytes(
  bytes: Uint8Array,
  source: KeyEncryptionKey['source'] = 'option',
): KeyEncryptionKey {
  if (bytes.length !== KEK_BYTES) {
    throw new StoreError(
      'ERR_INVALID_KEK',
      `key-encryption key must be ${KEK_BYTES} bytes, got ${bytes.length}`,
    );
  }
  return fromBytes(Uint8Array.from(bytes), source);
}

/** A fresh random key-encryption key that lives only in memory (`sqlite::memory:` databases). */
export function ephemeralKeyEncryptionKey(): KeyEncryptionKey {
  return fromBytes(new Uint8Array(randomBytes(KEK_BYTES)), 'ephemeral');
}

/**
 * Reads the development key-encryption key file beside a SQLite database, creating it (mode 0600)
 * when it does not exist. Creation is atomic (write a temporary file, then hard-link it into place),
 * so two processes starting at once agree on one key.
 *
 * @param path the key file, by convention `<database file>.kek`
 * @param warn receives one-line warnings (that a file, not `M2M_AUTH_KEK`, protects the keys)
 * @throws {StoreError} `ERR_KEK_FILE_INSECURE` when the file is readable by group or others;
 *   `ERR_INVALID_KEK` when its content is not a 32-byte base64 key.
 */
export function loadOrCreateKeyEncryptionKeyFile(
  path: string,
  warn: (message: string) => void,
): KeyEncryptionKey {
  let created = false;
  try {
    statSync(path);
  } catch {
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, `${Buffer.from(randomBytes(KEK_BYTES)).toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    chmodSync(tmp, 0o600); // the umask may have narrowed it further; never wider than 0600
    try {
      linkSync(tmp, path);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new StoreError(
      'ERR_KEK_FILE_INSECURE',
      `key-encryption key file ${path} is accessible to other users; run: chmod 600 ${path}`,
    );
  }
  const kek = parseKeyEncryptionKey(readFileSync(path, 'utf8'), `key file ${path}`, 'file');
  warn(
    created
      ? `created key-encryption key file ${path} (mode 0600); in production set M2M_AUTH_KEK (32 bytes, base64) instead`
      : `signing keys are encrypted under the key file ${path}; in production set M2M_AUTH_KEK instead`,
  );
  return kek;
}

function fromBytes(bytes: Uint8Array, source: KeyEncryptionKey['source']): KeyEncryptionKey {
  const digest = createHash('sha256').update('m2m-auth key-encryption key v1\0').update(bytes);
  return { bytes, fingerprint: digest.digest().subarray(0, 16).toString('base64url'), source };
}
