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

/**
 * The shape of the access tokens a client gets:
 * - `rfc9068`: RFC 9068 JWT access tokens (`typ: at+jwt`, `aud` = the receiving service).
 * - `passport`: for clients adopted from Laravel Passport while receivers move: header
 *   `typ: JWT`, Passport's claims (`aud` = the calling client's id, `jti`, `iat`, `nbf`, `exp`,
 *   `sub`, `scopes` array) next to RFC 9068's `iss`, `client_id` and `scope`. Such a token names
 *   no receiving service, as Passport's never did: switch the client to `rfc9068` once its
 *   receivers verify with `@m2m-auth/verifier` (or check `aud`).
 */
export type AccessTokenFormat = 'rfc9068' | 'passport';

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
  /** Shape of the access tokens it gets; `rfc9068` unless adopted from Passport. */
  tokenFormat: AccessTokenFormat;
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

/**
 * JWS algorithms a client may sign its `private_key_jwt` assertions with (RFC 7518 §3.1, §3.5,
 * RFC 8037). Never `none` nor an HMAC: the server holds no secret of such a client.
 */
export type ClientAssertionAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/**
 * How a `private_key_jwt` client (RFC 7523 §2.2) proves who it is: its public keys, inline or at
 * a `jwks_uri`, and the one algorithm its assertions must use (pinned per client).
 */
export interface ClientPublicKeys {
  alg: ClientAssertionAlg;
  /** Public JWKs (each with a `kid`, the RFC 7638 thumbprint unless one was given), or null. */
  keys: JWK[] | null;
  /** URL of the client's JWK Set, or null when the keys are inline. */
  jwksUri: string | null;
}

/**
 * Input of {@link ClientStore.createWithPublicKeys} and {@link ClientStore.setPublicKeys}: one or
 * two public keys (PEM SPKI text, a JWK, or a JWK Set as JSON text or object) — two while the
 * client changes keys — or a `jwks_uri` with its algorithm.
 */
export type NewClientPublicKeys =
  | { alg?: ClientAssertionAlg; publicKeys: (string | JWK | { keys: JWK[] })[] }
  | { alg: ClientAssertionAlg; jwksUri: string };

/** A client together with the hashes of its currently accepted secrets (for authentication only). */
export interface ClientCredentials {
  client: ClientRecord;
  secrets: ClientSecretHash[];
  /** Set for a `private_key_jwt` client (which then has no secrets). */
  publicKeys?: ClientPublicKeys;
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
  tokenFormat?: AccessTokenFormat;
}

/**
 * A client adopted from another authorization server (Laravel Passport), with its own client_id
 * and the hash of its existing secret. See {@link ClientStore.importClients}.
 */
export interface ImportedClient {
  /** Kept as it was (`"5"`, a UUID): callers' `OAUTH_CLIENT_ID` stays valid. */
  clientId: string;
  name: string;
  scopes: string[];
  audiences: string[];
  /** Access-token lifetime, seconds; default 900 for a new client, unchanged for an existing one. */
  tokenTtlSec?: number;
  /** Token shape of a new client; an existing client keeps its own (it may have been switched). */
  tokenFormat: AccessTokenFormat;
  /** Revoked at the source: comes in revoked (and an existing client is revoked). */
  revoked: boolean;
  /** The secret's hash (ours, or a legacy `bcrypt` / `argon2id` one); null for a revoked client. */
  secret: ClientSecretHash | null;
}

/** What {@link ClientStore.importClients} did (or would do) with one {@link ImportedClient}. */
export interface ClientImportOutcome {
  clientId: string;
  name: string;
  /** `create`: new; `update`: fields changed (secrets never are); `unchanged`. */
  action: 'create' | 'update' | 'unchanged';
  /** Changed fields of an `update`: `name`, `scopes`, `audiences`, `tokenTtlSec`, `revoked`. */
  changed: string[];
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
  /**
   * Every client with its accepted secret hashes (expired grace secrets left out; revoked clients
   * with none), in two queries. The token endpoint holds this whole table in memory per store
   * revision, so that any client_id — known, revoked or unknown — is looked up the same way.
   */
  listCredentials(): Promise<ClientCredentials[]>;
  update(idOrName: string, patch: ClientPatch): Promise<ClientRecord>;
  /** Revokes at once and deletes the client's secret hashes; revoking a revoked client changes nothing. */
  revoke(idOrName: string): Promise<ClientRecord>;
  /**
   * Adopts clients with their own client_ids and secret hashes, in one transaction: all or
   * nothing. A client_id already present is brought in line (name, scopes, audiences, TTL,
   * revocation) but keeps its secrets and token format, so re-running an import changes nothing.
   * With `dryRun` the same work runs and is rolled back: the outcomes are the plan.
   *
   * @throws {StoreError} `ERR_INVALID_CLIENT_NAME`, `ERR_INVALID_SCOPE`, `ERR_INVALID_AUDIENCE`,
   *   `ERR_INVALID_DURATION`, `ERR_CLIENT_NAME_TAKEN` (a name held by another client_id).
   */
  importClients(
    clients: readonly ImportedClient[],
    options?: { dryRun?: boolean },
  ): Promise<ClientImportOutcome[]>;
  /**
   * Replaces one stored secret hash by another (a legacy hash by ours after the secret verified),
   * only if it is still stored as it was.
   *
   * @returns whether it was replaced.
   */
  replaceSecretHash(
    clientId: string,
    from: Pick<ClientSecretHash, 'scheme' | 'hash'>,
    to: ClientSecretHash,
  ): Promise<boolean>;
  /** client_ids of the clients that still hold a legacy (imported bcrypt/argon2id) secret hash. */
  legacySecretClientIds(): Promise<string[]>;
  /** New secret; the old one stays accepted for `graceSec` seconds (0: at once rejected). */
  rotateSecret(
    idOrName: string,
    graceSec: number,
  ): Promise<{ client: ClientRecord; clientSecret: string }>;
  /**
   * Creates a `private_key_jwt` client (RFC 7523 §2.2): no secret exists, only its public keys.
   *
   * @throws {StoreError} those of `create`, `ERR_INVALID_PUBLIC_KEY`, `ERR_INVALID_JWKS_URI`.
   */
  createWithPublicKeys(input: NewClient, keys: NewClientPublicKeys): Promise<ClientRecord>;
  /**
   * Replaces a client's public keys (give two during a key change, then the new one alone). A
   * client that had secrets becomes a `private_key_jwt` client: its secret hashes are deleted.
   *
   * @throws {StoreError} `ERR_CLIENT_NOT_FOUND`, `ERR_CLIENT_REVOKED`, `ERR_INVALID_PUBLIC_KEY`, `ERR_INVALID_JWKS_URI`.
   */
  setPublicKeys(idOrName: string, keys: NewClientPublicKeys): Promise<ClientRecord>;
}

/**
 * An external issuer whose tokens authenticate clients (workload identity federation, RFC 7523
 * §2.2 with a third-party assertion), e.g. a Kubernetes API server's service-account tokens.
 */
export interface TrustedIssuer {
  /** The operator's name for it, used in bindings (`<name>:<subject>`). */
  name: string;
  /** The exact `iss` of its tokens. */
  issuer: string;
  /** Where its public keys are (fetched by the server), or null when they are inline. */
  jwksUri: string | null;
  /** Its public keys, when given as a file; null with a jwks_uri. */
  keys: JWK[] | null;
  /** What its tokens must list in `aud` to be accepted here. */
  audience: string;
  /** Longest accepted token lifetime, `exp` − `iat`, seconds (default 3600). */
  maxLifetimeSec: number;
  createdAt: number;
}

/** Input of {@link TrustStore.add}. */
export interface NewTrustedIssuer {
  name: string;
  issuer: string;
  /** Exactly one of `jwksUri` and `jwks`. */
  jwksUri?: string;
  jwks?: string | { keys: JWK[] };
  audience: string;
  /** Default 3600. */
  maxLifetimeSec?: number;
}

/** A (trusted issuer, subject) pair bound to a client. */
export interface FederatedSubject {
  trustName: string;
  subject: string;
  clientId: string;
}

/** Trusted issuers and the subjects bound to clients. Every change moves the store revision. */
export interface TrustStore {
  /** @throws {StoreError} `ERR_INVALID_TRUST` (name, issuer, keys, audience), `ERR_TRUST_EXISTS`. */
  add(input: NewTrustedIssuer): Promise<TrustedIssuer>;
  list(): Promise<TrustedIssuer[]>;
  /** By name, or undefined. */
  get(name: string): Promise<TrustedIssuer | undefined>;
  /** Removes a trust and every binding to it; @throws {StoreError} `ERR_TRUST_NOT_FOUND`. */
  remove(name: string): Promise<void>;
  /**
   * Creates a client authenticated by a trusted issuer's token for `subject` (no secret, no key).
   * A Kubernetes namespace's `default` service account is refused unless `allowDefaultServiceAccount`:
   * every pod that names no account runs as it.
   *
   * @throws {StoreError} those of `clients.create`, `ERR_TRUST_NOT_FOUND`, `ERR_INVALID_TRUST`,
   *   `ERR_SUBJECT_TAKEN`.
   */
  createFederatedClient(
    input: NewClient,
    binding: { trustName: string; subject: string; allowDefaultServiceAccount?: boolean },
  ): Promise<ClientRecord>;
  /** The trusted issuer with this exact `iss`, or undefined. */
  byIssuer(issuer: string): Promise<TrustedIssuer | undefined>;
  /** The client bound to (trust, subject), or undefined. */
  boundClient(trustName: string, subject: string): Promise<string | undefined>;
  /** The subjects bound to a client. */
  subjectsOf(clientId: string): Promise<FederatedSubject[]>;
}

/** Outcome of {@link AssertionJtiStore.consume}. */
export type JtiConsumption = 'consumed' | 'replayed' | 'full';

/**
 * Single use of client assertions (RFC 7523 §3 item 7): every accepted `jti` is kept, per client,
 * until the assertion could no longer be accepted anyway. In the database, so that it holds across
 * instances sharing PostgreSQL. Writing here never moves the store revision.
 */
export interface AssertionJtiStore {
  /**
   * Records `jti` for `clientId` until `expiresAt` (Unix seconds), atomically: of two concurrent
   * calls with the same pair, on any instance, exactly one gets `consumed`.
   *
   * @param maxPerClient - bound of unexpired entries per client; beyond it: `full` (refuse).
   * @returns `consumed` (first use), `replayed` (seen before and not expired) or `full`.
   */
  consume(
    clientId: string,
    jti: string,
    expiresAt: number,
    maxPerClient: number,
  ): Promise<JtiConsumption>;
  /** Deletes entries expired before `now` (default: the store's clock); returns how many. */
  purge(now?: number): Promise<number>;
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
   * @throws {StoreError} `ERR_LEASE_BUSY` when another holder kept it for longer than `waitSec`;
   *   `ERR_DATABASE_ERROR` when the database fails.
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
   *   `ERR_DATABASE_ERROR`.
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
  /** Used `jti`s of client assertions (`private_key_jwt`). */
  readonly assertionJtis: AssertionJtiStore;
  /** Trusted external issuers and the subjects bound to clients (workload identity). */
  readonly trust: TrustStore;
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
