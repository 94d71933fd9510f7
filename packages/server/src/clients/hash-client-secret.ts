import { createHash, randomBytes } from 'node:crypto';
import type { ClientSecretHash } from './client-store.js';

/** Bytes of randomness in a generated client secret: 256 bits. */
export const CLIENT_SECRET_BYTES = 32;

/** Identifier of the only hash scheme: SHA-256 of the UTF-8 secret, base64url-encoded. */
export const CLIENT_SECRET_SCHEME = 'sha256';

/**
 * A new client secret: 32 random bytes (256 bits) as base64url, 43 URL-safe characters
 * (RFC 6749 §2.3.1 leaves the format to the server; RFC 6819 §5.1.4.2.2 asks for high entropy).
 *
 * @example
 * ```ts
 * const secret = generateClientSecret(); // show once, store only hashClientSecret(secret)
 * ```
 */
export function generateClientSecret(): string {
  return randomBytes(CLIENT_SECRET_BYTES).toString('base64url');
}

/**
 * The stored verifier of a client secret.
 *
 * Why a single fast SHA-256 and not bcrypt/scrypt/argon2: slow, salted password hashes exist to
 * make guessing *low-entropy, human-chosen* passwords expensive after a database leak (OWASP
 * Password Storage Cheat Sheet; NIST SP 800-63B §5.1.1.2, memorized secrets). These secrets are
 * generated with 256 bits of randomness, so searching for a preimage is infeasible however fast the
 * hash is; a slow hash would only add latency, and a CPU denial-of-service lever, to every token
 * request. NIST SP 800-63B §5.1.2.2 draws the same line for generated secrets: with at least 112
 * bits of entropy, hashing with an approved one-way function suffices; below that, a salted KDF
 * with a cost factor is required. RFC 6819 §5.1.4.1.3 asks servers to store hashes, not secrets.
 *
 * @param secret the client secret as issued
 * @param expiresAt when the secret stops being accepted (Unix seconds), default null (never)
 * @example
 * ```ts
 * const stored = hashClientSecret(secret); // { scheme: 'sha256', hash: '…', expiresAt: null }
 * verifyClientSecret(secret, [stored], nowSec); // true
 * ```
 */
export function hashClientSecret(
  secret: string,
  expiresAt: number | null = null,
): ClientSecretHash {
  return {
    scheme: CLIENT_SECRET_SCHEME,
    hash: createHash('sha256').update(secret, 'utf8').digest('base64url'),
    expiresAt,
  };
}
