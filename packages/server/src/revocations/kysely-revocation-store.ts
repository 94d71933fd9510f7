import type { StoreContext } from '../store/internal/context.js';
import { writeTransaction } from '../store/internal/write-transaction.js';
import { StoreError } from '../store/store-error.js';
import { MAX_TOKEN_TTL_SEC } from '../tokens/token-lifetime.js';
import type {
  RevocationList,
  RevocationStore,
  RevokedTokenEntry,
  RevokeTokenOptions,
} from './revocation-store.js';

/**
 * Seconds an entry stays in the revocation feed after the last token it covers expires: covers
 * the clock skew verifiers tolerate on `exp` (30 s by default) with room to spare.
 */
export const REVOCATION_LEEWAY_SEC = 60;

/** Longest accepted jti; the server's are UUIDs (36 characters). */
const MAX_JTI_LENGTH = 255;

/** What the revocation store needs besides the database: the revoked clients, from their owner. */
export interface RevocationStoreContext extends StoreContext {
  /** Clients revoked after `since` (Unix seconds), ordered by client_id. */
  clientsRevokedSince(since: number): Promise<{ clientId: string; revokedAt: number }[]>;
}

/**
 * The revocation store over Kysely (SQLite and PostgreSQL): revoked token ids in
 * `m2m_revoked_tokens`; revoked clients come from the client registry (the composition root
 * passes them in).
 */
export function createRevocationStore(ctx: RevocationStoreContext): RevocationStore {
  return {
    async revokeToken(jti: string, options: RevokeTokenOptions = {}): Promise<RevokedTokenEntry> {
      if (
        typeof jti !== 'string' ||
        jti === '' ||
        jti.length > MAX_JTI_LENGTH ||
        !/^[\x21-\x7e]+$/.test(jti)
      ) {
        throw new StoreError(
          'ERR_INVALID_TOKEN_ID',
          `token id must be 1-${MAX_JTI_LENGTH} printable ASCII characters without spaces`,
        );
      }
      const now = ctx.now();
      const expiresAt = (options.expiresAt ?? now + MAX_TOKEN_TTL_SEC) + REVOCATION_LEEWAY_SEC;
      return writeTransaction(ctx, async (trx, changed) => {
        await trx.deleteFrom('m2m_revoked_tokens').where('expires_at', '<=', now).execute();
        const existing = await trx
          .selectFrom('m2m_revoked_tokens')
          .selectAll()
          .where('jti', '=', jti)
          .executeTakeFirst();
        if (existing !== undefined) return toEntry(existing);
        const row = {
          jti,
          client_id: options.clientId ?? null,
          revoked_at: now,
          expires_at: expiresAt,
        };
        await trx.insertInto('m2m_revoked_tokens').values(row).execute();
        changed();
        return toEntry(row);
      });
    },

    async list(now: number = ctx.now()): Promise<RevocationList> {
      const tokens = await ctx.db
        .selectFrom('m2m_revoked_tokens')
        .selectAll()
        .where('expires_at', '>', now)
        .orderBy('jti')
        .execute();
      // Not the client's current TTL: it may have been shortened after tokens with the longer
      // one were issued. The longest TTL any client can have is a bound.
      const clients = await ctx.clientsRevokedSince(
        now - MAX_TOKEN_TTL_SEC - REVOCATION_LEEWAY_SEC,
      );
      return {
        clients: clients
          .map(({ clientId, revokedAt }) => ({
            clientId,
            revokedAt,
            expiresAt: revokedAt + MAX_TOKEN_TTL_SEC + REVOCATION_LEEWAY_SEC,
          }))
          .filter((entry) => entry.expiresAt > now),
        tokens: tokens.map(toEntry),
      };
    },
  };
}

function toEntry(row: {
  jti: string;
  client_id: string | null;
  revoked_at: number;
  expires_at: number;
}): RevokedTokenEntry {
  return {
    jti: row.jti,
    clientId: row.client_id,
    revokedAt: Number(row.revoked_at),
    expiresAt: Number(row.expires_at),
  };
}
