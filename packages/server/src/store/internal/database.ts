/**
 * Row shapes of the tables (see migrations.ts). Times are Unix seconds; lists are JSON arrays in
 * text columns so that SQLite and PostgreSQL store them the same way.
 */
import type { Kysely, Transaction } from 'kysely';

export interface StoreStateTable {
  id: number;
  /** Bumped in the same transaction as every change to clients or keys. */
  revision: number;
}

export interface ClientsTable {
  client_id: string;
  name: string;
  /** JSON array of scope-tokens. */
  scopes: string;
  /** JSON array of audiences. */
  audiences: string;
  token_ttl_sec: number;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
  /** `rfc9068` or `passport` (see AccessTokenFormat in types.ts). */
  token_format: string;
}

export interface ClientSecretsTable {
  secret_id: string;
  client_id: string;
  scheme: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  state: string;
  /** Public JWK as JSON. */
  public_jwk: string;
  /** Compact JWE (dir + A256GCM under the key-encryption key) of the PKCS#8 PEM; null once revoked. */
  private_key_jwe: string | null;
  created_at: number;
  activates_at: number | null;
  activated_at: number | null;
  retired_at: number | null;
  remove_at: number | null;
  revoked_at: number | null;
}

/** Audit events (audit/audit-events-migration.ts); written only with `serve --audit-store`. */
export interface AuditEventsTable {
  event_id: string;
  time_ms: number;
  outcome: string;
  client_id: string | null;
  audience: string | null;
  /** JSON array of scope-tokens. */
  scopes: string | null;
  jti: string | null;
  source_address: string | null;
  reason: string | null;
  detail: string | null;
  status: number;
}

/** Named leases (store/internal/leases-migration.ts). */
export interface LeasesTable {
  name: string;
  /** Who holds it: `host:pid:random`. */
  holder: string;
  /** Unix seconds after which anyone may take it. */
  expires_at: number;
}

/** Public keys of `private_key_jwt` clients (clients/client-keys-migration.ts). */
export interface ClientKeysTable {
  client_id: string;
  alg: string;
  /** JSON array of public JWKs, or null with a jwks_uri. */
  jwks: string | null;
  jwks_uri: string | null;
  updated_at: number;
}

/** Used client-assertion jtis (clients/client-keys-migration.ts). */
export interface AssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: number;
}

/** Trusted external token issuers (clients/client-keys-migration.ts). */
export interface TrustedIssuersTable {
  name: string;
  issuer: string;
  jwks_uri: string | null;
  /** JSON array of public JWKs, or null with a jwks_uri. */
  jwks: string | null;
  audience: string;
  max_lifetime_sec: number;
  created_at: number;
}

/** Subjects of trusted issuers bound to clients. */
export interface FederatedSubjectsTable {
  trust_name: string;
  subject: string;
  client_id: string;
}

/** Revoked access tokens (revocations/revoked-tokens-migration.ts), purged after `expires_at`. */
export interface RevokedTokensTable {
  jti: string;
  /** The client the token was issued to, when known (RFC 7009 revocation); null from the CLI. */
  client_id: string | null;
  revoked_at: number;
  /** When no token with this jti can still be valid (its `exp`, or the longest lifetime). */
  expires_at: number;
}

export interface Database {
  m2m_trusted_issuers: TrustedIssuersTable;
  m2m_federated_subjects: FederatedSubjectsTable;
  m2m_client_keys: ClientKeysTable;
  m2m_assertion_jtis: AssertionJtisTable;
  m2m_store_state: StoreStateTable;
  m2m_clients: ClientsTable;
  m2m_client_secrets: ClientSecretsTable;
  m2m_signing_keys: SigningKeysTable;
  m2m_audit_events: AuditEventsTable;
  m2m_leases: LeasesTable;
  m2m_revoked_tokens: RevokedTokensTable;
}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
