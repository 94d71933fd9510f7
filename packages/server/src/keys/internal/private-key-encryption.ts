import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { StoreError } from '../../store/store-error.js';
import type { KeyEncryptionKey } from '../key-encryption-key.js';

/** Protected-header parameter carrying the key-encryption key's fingerprint. */
const FINGERPRINT_HEADER = 'kekfp';

/**
 * Encrypts a private key (PKCS#8 PEM) for storage: a compact JWE with `alg: dir`, `enc: A256GCM`
 * (RFC 7516, RFC 7518 §4.5 and §5.3) under the key-encryption key. The protected header — which
 * GCM authenticates — binds the ciphertext to its `kid` and names the key-encryption key by
 * fingerprint, so a wrong key is detected before decryption and a row copied onto another kid fails.
 */
export async function encryptPrivateKey(
  privateKeyPem: string,
  kid: string,
  kek: KeyEncryptionKey,
): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(privateKeyPem))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid, [FINGERPRINT_HEADER]: kek.fingerprint })
    .encrypt(kek.bytes);
}

/**
 * Decrypts what {@link encryptPrivateKey} produced.
 *
 * @throws {StoreError} `ERR_KEK_MISMATCH` when it was encrypted under another key-encryption key;
 *   `ERR_KEY_DECRYPTION_FAILED` when it is corrupt, tampered with, or bound to another kid.
 */
export async function decryptPrivateKey(
  jwe: string,
  kid: string,
  kek: KeyEncryptionKey,
): Promise<string> {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwe) as Record<string, unknown>;
  } catch (cause) {
    throw new StoreError(
      'ERR_KEY_DECRYPTION_FAILED',
      `the stored private key of ${kid} is corrupt`,
      {
        cause,
      },
    );
  }
  if (header[FINGERPRINT_HEADER] !== kek.fingerprint) {
    throw new StoreError(
      'ERR_KEK_MISMATCH',
      `signing key ${kid} was encrypted under another key-encryption key (fingerprint ${String(
        header[FINGERPRINT_HEADER],
      )}, given ${kek.fingerprint}); set M2M_AUTH_KEK to the key it was created with`,
    );
  }
  if (header['kid'] !== kid) {
    throw new StoreError(
      'ERR_KEY_DECRYPTION_FAILED',
      `the stored private key of ${kid} belongs to another kid; the database row was altered`,
    );
  }
  try {
    const { plaintext } = await compactDecrypt(jwe, kek.bytes, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    return new TextDecoder().decode(plaintext);
  } catch (cause) {
    throw new StoreError(
      'ERR_KEY_DECRYPTION_FAILED',
      `the stored private key of ${kid} failed authentication; it is corrupt or was altered`,
      { cause },
    );
  }
}
