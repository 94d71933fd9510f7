/**
 * The storage contract of the authorization server: what the HTTP layer, the CLI and the
 * scheduled jobs may ask of the database. One implementation (Kysely) serves SQLite and PostgreSQL.
 *
 * All times are Unix seconds (integers) unless a name says otherwise.
 */
import type { JWK } from 'jose';

/** JWS algorithms the authorization server signs access tokens with (RFC 7518 §3.1, RFC 8037). */
export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

/**
 * Lifecycle state of a signing key.
 * - `next`: published in the JWKS, not yet signing (activates at `activatesAt`).
 * - `active`: signs new tokens; exactly one per database.
 * - `retired`: no longer signs; stays published until `removeAt` (last token's expiry + tolerance).
 * - `revoked`: removed from the JWKS at once (compromise).
 */
export type KeyState = 'next' | 'active' | 'retired' | 'revoked';

/** A registered confidential client (RFC 6749 §2.1), one per service. Never carries secret material. */
export interface ClientRecord {
  /** The client identifier (RFC 6749 §2.2): opaque, unique, URL-safe. */
  clientId: string;
  /** Human name, unique (e.g. `ms_admin`). */
  name: string;
  /** Scopes the client may request (RFC 6749 §3.3). */
  scopes: string[];
  /** Audiences (resource servers, RFC 8707) the client may get tokens for. */
  audiences: string[];
  /** Lifetime of access tokens issued to this client, seconds. */
  tokenTtlSec: number;
  createdAt: number;
  updatedAt: number;
  /** When the client was revoked, or null while it is valid. */
  revokedAt: number | null;
}

/** Stored verifier of a client secret: a hash, never the secret. */
export interface ClientSecretHash {
  /** Scheme identifier, e.g. `sha256` (see clients/secret-hash.ts for why). */
  scheme: string;
  /** Encoded hash, compared in constant time. */
  hash: string;
  /** When this secret stops being accepted (grace period after rotation), or null. */
  expiresAt: number | null;
}

/** A client together with the hashes of its currently accepted secrets (for authentication only). */
export interface ClientCredentials {
  client: ClientRecord;
  secrets: ClientSecretHash[];
}

/** Public view of a signing key. */
export interface SigningKeyRecord {
  /** Key ID (RFC 7515 §4.1.4), unique, stable. */
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  /** Public JWK with `kid`, `alg`, `use: "sig"` (RFC 7517 §4). */
  publicJwk: JWK;
  createdAt: number;
  /** When a `next` key becomes `active`; null otherwise. */
  activatesAt: number | null;
  /** When the key stopped signing (became `retired`); null otherwise. */
  retiredAt: number | null;
  /** When a `retired` key leaves the JWKS; null otherwise. */
  removeAt: number | null;
  /** When the key was revoked; null otherwise. */
  revokedAt: number | null;
}

/** A signing key with its private part, decrypted (only ever held in memory). */
export interface SigningKeyMaterial extends SigningKeyRecord {
  /** Private key as a PKCS#8 PEM string. */
  privateKeyPem: string;
}
