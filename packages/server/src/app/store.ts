/**
 * The storage contract of the authorization server: what the HTTP layer, the CLI and the
 * scheduled jobs may ask of the database — each domain's store, wired by {@link openStore}.
 * One implementation (Kysely) serves SQLite and PostgreSQL.
 */
import type { AuditStore } from '../audit/audit-store.js';
import type { AssertionJtiStore } from '../clients/assertion-jti-store.js';
import type { ClientStore } from '../clients/client-store.js';
import type { TrustStore } from '../clients/trust-store.js';
import type { KeyStore } from '../keys/key-store.js';
import type { RevocationStore } from '../revocations/revocation-store.js';
import type { LeaseStore } from '../store/lease-store.js';

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
