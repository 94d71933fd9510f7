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
