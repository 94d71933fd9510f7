/**
 * The storage contract of the authorization server: what the HTTP layer, the CLI and the
 * scheduled jobs may ask of the database. One implementation (Kysely) serves SQLite and PostgreSQL.
 *
 * All times are Unix seconds (integers) unless a name says otherwise.
 */
import type { JWK } from 'jose';
import type { AuditStore } from '../audit/audit-store.js';

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

/** Input of {@link ClientStore.create}. */
export interface NewClient {
  name: string;
  scopes?: string[];
  audiences?: string[];
  /** Access-token lifetime, seconds; default 900. */
  tokenTtlSec?: number;
}

/** Changes accepted by {@link ClientStore.update}; absent fields are left as they are. */
export interface ClientPatch {
  scopes?: string[];
  audiences?: string[];
  tokenTtlSec?: number;
}

/** Client registry operations. `idOrName` accepts a client_id or a client name. */
export interface ClientStore {
  /** Creates a client with a generated secret (≥ 256 bits, URL-safe), returned once; only its hash is stored. */
  create(input: NewClient): Promise<{ client: ClientRecord; clientSecret: string }>;
  list(): Promise<ClientRecord[]>;
  find(idOrName: string): Promise<ClientRecord | undefined>;
  /**
   * The client and its accepted secret hashes (expired grace secrets left out), for authentication
   * at the token endpoint. Looks up by client_id only, never by name. A revoked client is returned
   * with `revokedAt` set and no secrets: callers must refuse it.
   */
  getCredentials(clientId: string): Promise<ClientCredentials | undefined>;
  update(idOrName: string, patch: ClientPatch): Promise<ClientRecord>;
  /** Revokes at once and deletes the client's secret hashes; revoking a revoked client changes nothing. */
  revoke(idOrName: string): Promise<ClientRecord>;
  /** New secret; the old one stays accepted for `graceSec` seconds (0: at once rejected). */
  rotateSecret(
    idOrName: string,
    graceSec: number,
  ): Promise<{ client: ClientRecord; clientSecret: string }>;
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
}

/** Options of {@link LeaseStore.run}. */
export interface LeaseOptions {
  /**
   * How long the lease outlives its holder's last renewal, seconds (the holder renews it every third
   * of this while it runs); a holder that dies releases it after at most this long. Default 60.
   */
  ttlSec?: number;
  /** How long to wait for another holder, seconds; default 120. */
  waitSec?: number;
}

/**
 * Named leases held in the database (table `m2m_leases`): a process that runs work which must not
 * interleave with the same work elsewhere (two `m2m-auth provision` runs) holds the lease for its
 * duration. Leases expire, so a holder that crashes blocks others for at most `ttlSec`. Taking or
 * renewing a lease changes no revision (servers keep their caches).
 */
export interface LeaseStore {
  /**
   * Runs `fn` while holding the lease `name`, waiting for the current holder if there is one.
   *
   * @returns what `fn` returns; the lease is released whether it resolves or throws.
   * @throws {StoreError} `LEASE_BUSY` when another holder kept it for longer than `waitSec`;
   *   `DATABASE_ERROR` when the database fails.
   */
  run<T>(name: string, fn: () => Promise<T>, options?: LeaseOptions): Promise<T>;
}

/** A revoked client in the revocation feed: every token issued to it is refused. */
export interface RevokedClientEntry {
  clientId: string;
  /** When the client was revoked, Unix seconds. */
  revokedAt: number;
  /**
   * When the entry leaves the feed: revocation time + the longest token lifetime
   * (`MAX_TOKEN_TTL_SEC`, since the client's TTL may have been shortened after tokens with the
   * longer one were issued) + 60 s of leeway, after which no token of the client can be valid.
   */
  expiresAt: number;
}

/** A revoked token (by `jti`, RFC 7519 §4.1.7) in the revocation feed. */
export interface RevokedTokenEntry {
  jti: string;
  /** The client the token was issued to, when known; null for a revocation by jti alone. */
  clientId: string | null;
  revokedAt: number;
  /** When the entry leaves the feed: the token's `exp` (or the longest token lifetime) + leeway. */
  expiresAt: number;
}

/** What the revocation feed publishes: entries whose `expiresAt` is still ahead. */
export interface RevocationList {
  clients: RevokedClientEntry[];
  tokens: RevokedTokenEntry[];
}

/** Options of {@link RevocationStore.revokeToken}. */
export interface RevokeTokenOptions {
  /** The client the token was issued to, when known. */
  clientId?: string;
  /**
   * The token's `exp`, Unix seconds, when known; the entry is kept until then + leeway. Default:
   * now + the longest token lifetime (`MAX_TOKEN_TTL_SEC`) + leeway.
   */
  expiresAt?: number;
}

/** Revoked tokens, and the list the revocation feed (`GET /revocations`) publishes. */
export interface RevocationStore {
  /**
   * Records a token id as revoked (idempotent: a second revocation keeps the first time) and
   * purges entries that have expired. Bumps the revision so every server reloads its feed.
   *
   * @throws {StoreError} `INVALID_ARGUMENT` for an empty, over-long or non-printable jti;
   *   `DATABASE_ERROR`.
   */
  revokeToken(jti: string, options?: RevokeTokenOptions): Promise<RevokedTokenEntry>;
  /** Revoked clients and tokens whose entries have not expired at `now` (default: the clock). */
  list(now?: number): Promise<RevocationList>;
}

/** An opened database: SQLite (`sqlite:./path.db`) or PostgreSQL (`postgres://…`). */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly clients: ClientStore;
  readonly keys: KeyStore;
  /** Audit events of the token endpoint (filled by `serve --audit-store`). */
  readonly audit: AuditStore;
  /** Named leases: mutual exclusion between processes sharing the database. */
  readonly leases: LeaseStore;
  /** Revoked tokens and the revocation feed's content. */
  readonly revocations: RevocationStore;
  /**
   * A counter bumped in the same transaction as every change to clients or keys. Servers cache
   * clients and keys and reload when it moves, so changes made by the CLI or another instance
   * take effect without a restart.
   */
  revision(): Promise<number>;
  close(): Promise<void>;
}
