/** The client registry contract. Times are Unix seconds (integers) unless a name says otherwise. */
import type { JWK } from 'jose';
import type { AccessTokenFormat } from '../tokens/token-types.js';

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

/** Options of {@link ClientStore.create} and {@link ClientStore.createWithPublicKeys}. */
export interface CreateClientOptions {
  /**
   * client_id of a revoked client that holds the new client's name. In the same transaction as the
   * creation, that client is renamed to a free name, `<name>.revoked-<revoked_at>` (shortened to
   * fit 64 characters, `-2`, `-3`… appended if taken), so the name can be given to the new client:
   * the revoked client keeps its client_id, revocation time and audit rows, so its tokens stay
   * refused and the revocation feed still lists it. A failure changes nothing.
   */
  replacingRevoked?: string;
}

/** Client registry operations. `idOrName` accepts a client_id or a client name. */
export interface ClientStore {
  /**
   * Creates a client with a generated secret (≥ 256 bits, URL-safe), returned once; only its hash is stored.
   * With `replacingRevoked`, see {@link CreateClientOptions}.
   *
   * @throws {StoreError} `ERR_INVALID_CLIENT_NAME`, `ERR_INVALID_SCOPE`, `ERR_INVALID_AUDIENCE`,
   *   `ERR_INVALID_DURATION`, `ERR_CLIENT_NAME_TAKEN` (also when `replacingRevoked` is not a revoked
   *   client holding the name), `ERR_CLIENT_NOT_FOUND` (`replacingRevoked` is no client).
   * @throws TypeError for a field `NewClient` does not have (a misspelling such as `scope`).
   */
  create(
    input: NewClient,
    options?: CreateClientOptions,
  ): Promise<{ client: ClientRecord; clientSecret: string }>;
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
  /**
   * Changes the fields `patch` names; the others stay.
   *
   * @throws TypeError for a field `ClientPatch` does not have.
   */
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
  createWithPublicKeys(
    input: NewClient,
    keys: NewClientPublicKeys,
    options?: CreateClientOptions,
  ): Promise<ClientRecord>;
  /**
   * Replaces a client's public keys (give two during a key change, then the new one alone). A
   * client that had secrets becomes a `private_key_jwt` client: its secret hashes are deleted.
   *
   * @throws {StoreError} `ERR_CLIENT_NOT_FOUND`, `ERR_CLIENT_REVOKED`, `ERR_INVALID_PUBLIC_KEY`, `ERR_INVALID_JWKS_URI`.
   */
  setPublicKeys(idOrName: string, keys: NewClientPublicKeys): Promise<ClientRecord>;
}
