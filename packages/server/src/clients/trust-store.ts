/** Trusted external issuers (workload identity federation) and the subjects bound to clients. */
import type { JWK } from 'jose';
import type { ClientRecord, NewClient } from './client-store.js';

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
