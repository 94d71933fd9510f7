/** The signing-key registry contract: states, records and lifecycle operations. Times are Unix seconds. */
import type { JWK } from 'jose';
import type { SigningAlg } from '../tokens/token-types.js';

/**
 * Lifecycle state of a signing key.
 * - `next`: published in the JWKS, not yet signing (activates at `activatesAt`).
 * - `active`: signs new tokens; exactly one per database.
 * - `retired`: no longer signs; stays published until `removeAt` (last token's expiry + tolerance).
 * - `revoked`: removed from the JWKS at once (compromise).
 */
export type KeyState = 'next' | 'active' | 'retired' | 'revoked';

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
  /** When the key became `active` (it may since have been retired or revoked); null if never. */
  activatedAt: number | null;
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

/** Signing-key operations. */
export interface KeyStore {
  /** Generates and stores a key; `state` defaults to `active` when no key is active, else `next`. */
  generate(
    alg: SigningAlg,
    options?: { state?: KeyState; activatesAt?: number | null },
  ): Promise<SigningKeyRecord>;
  /** Adopts an existing private key (PEM, PKCS#1 or PKCS#8, e.g. Passport's oauth-private.key). */
  import(privateKeyPem: string, options?: { state?: KeyState }): Promise<SigningKeyRecord>;
  list(): Promise<SigningKeyRecord[]>;
  /** Keys that belong in the JWKS now: `next`, `active`, and `retired` ones before their `removeAt`. */
  published(now?: number): Promise<SigningKeyRecord[]>;
  /** The `active` key with its decrypted private key, or undefined when there is none. */
  active(): Promise<SigningKeyMaterial | undefined>;
  /** One key by kid (any state), or undefined. */
  get(kid: string): Promise<SigningKeyRecord | undefined>;
  /**
   * Starts a rotation: a `next` key that becomes `active` after `propagationSec`, or at once with
   * `immediately`. Resolves to what changed; `skipped` when `ifActiveOlderThanSec` says it is not
   * yet time (the guard scheduled rotation uses so that one of several instances acts).
   */
  rotate(options?: RotateOptions): Promise<KeyLifecycleChange>;
  /** Revokes a key at once (compromise); a revoked active key is replaced so that signing goes on. */
  revoke(kid: string, options?: { now?: number }): Promise<KeyLifecycleChange>;
  /**
   * Applies due transitions: a `next` key whose `activatesAt` has passed becomes `active` (the old
   * one `retired`), and `retired` keys past `removeAt` are deleted. Idempotent and serialized in the
   * database, so concurrent callers perform each step once.
   */
  advance(now?: number): Promise<KeyLifecycleChange>;
}

/** Options of {@link KeyStore.rotate}. */
export interface RotateOptions {
  /** Algorithm of the new key; default: that of the active key, else RS256. */
  alg?: SigningAlg;
  /** Seconds between publishing the new key and signing with it; default 600 (`DEFAULT_PROPAGATION_SEC`). */
  propagationSec?: number;
  /** Activate at once (emergency): skips the propagation delay. */
  immediately?: boolean;
  /** Rotate only if the active key has been active at least this long (scheduled rotation), seconds. */
  ifActiveOlderThanSec?: number;
  /** Current time, Unix seconds; default: the store's clock. */
  now?: number;
}

/** What a lifecycle operation did. Empty arrays and `skipped: false` when nothing was due. */
export interface KeyLifecycleChange {
  /** Keys created (as `next`, or `active` when activated at once). */
  created: SigningKeyRecord[];
  /** `next` keys given an activation time (`activatesAt`). */
  scheduled: SigningKeyRecord[];
  /** Keys that became `active`. */
  activated: SigningKeyRecord[];
  /** Keys that became `retired`. */
  retired: SigningKeyRecord[];
  /** Keys that became `revoked`. */
  revoked: SigningKeyRecord[];
  /** kids of retired keys deleted because no token they signed can still be valid. */
  removed: string[];
  /** True when a guard (`ifActiveOlderThanSec`, pending rotation) made the call a no-op. */
  skipped: boolean;
  /**
   * `next` keys that were due but stay `next` because this process's key-encryption key cannot
   * decrypt them (activating one would stop all signing); the current key keeps signing.
   */
  refused: RefusedActivation[];
}

/** A due activation that was not made, and why. */
export interface RefusedActivation {
  kid: string;
  /** The store error that a trial decryption gave: `ERR_KEK_MISMATCH`, `ERR_KEK_REQUIRED`, … */
  code: string;
  /** One line for people, naming the variable and file to fix; no secret. */
  message: string;
}
