import { verify as verifyArgon2 } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { ClientSecretHash } from './client-store.js';

/** Scheme of an adopted bcrypt hash (PHP's `$2y$`, stored as the identical `$2b$`). */
export const BCRYPT_SCHEME = 'bcrypt';
/** Scheme of an adopted argon2id hash (PHC string, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
export const ARGON2ID_SCHEME = 'argon2id';

// bcrypt: $2a$/$2b$/$2y$, two-digit cost, 22 salt + 31 hash characters of bcrypt's base64.
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const ARGON2ID =
  /^\$argon2id\$v=19\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{16,}$/;

/**
 * Recognizes a password hash as PHP's `password_hash` writes it (Laravel's `Hash` facade, used by
 * Passport's `hashClientSecrets()` and by Passport 13): bcrypt (`$2y$`, which is bcrypt's `$2b$`:
 * PHP named its fixed implementation `$2y$` before OpenBSD named the same fix `$2b$`) or argon2id.
 * Such hashes are kept at import and checked by {@link verifyLegacySecret} until the client's
 * first successful authentication replaces them with the server's own scheme.
 *
 * @returns the hash to store, or undefined when `value` is no hash of either kind.
 */
export function parseLegacySecretHash(value: string): ClientSecretHash | undefined {
  if (BCRYPT.test(value)) {
    return { scheme: BCRYPT_SCHEME, hash: `$2b$${value.slice(4)}`, expiresAt: null };
  }
  if (ARGON2ID.test(value)) return { scheme: ARGON2ID_SCHEME, hash: value, expiresAt: null };
  return undefined;
}

/** Whether a stored hash is a legacy (adopted) one rather than the server's own scheme. */
export function isLegacySecretHash(stored: Pick<ClientSecretHash, 'scheme'>): boolean {
  return stored.scheme === BCRYPT_SCHEME || stored.scheme === ARGON2ID_SCHEME;
}

/**
 * Checks a presented secret against an adopted bcrypt or argon2id hash with bcryptjs or
 * @node-rs/argon2 (both compare in constant time). Deliberately slow (tens of milliseconds): the
 * token endpoint's failure limiter runs before it, so guesses cannot queue up unbounded work.
 *
 * @returns true on a match; false otherwise, also for an unknown scheme or a malformed hash.
 */
export async function verifyLegacySecret(
  secret: string,
  stored: Pick<ClientSecretHash, 'scheme' | 'hash'>,
): Promise<boolean> {
  try {
    if (stored.scheme === BCRYPT_SCHEME) {
      // bcrypt reads at most 72 bytes; PHP does the same, so the outcome matches Passport's.
      return await bcrypt.compare(secret, stored.hash);
    }
    if (stored.scheme === ARGON2ID_SCHEME) return await verifyArgon2(stored.hash, secret);
  } catch {
    return false;
  }
  return false;
}
