import { randomUUID } from 'node:crypto';
import { rejectUnknownOptions } from '../internal/reject-unknown-options.js';
import { isUniqueViolation } from '../store/internal/constraint-error.js';
import type { StoreContext } from '../store/internal/context.js';
import type { ClientsTable, Trx } from '../store/internal/database.js';
import { writeTransaction } from '../store/internal/write-transaction.js';
import { StoreError } from '../store/store-error.js';
import type { AccessTokenFormat } from '../tokens/token-types.js';
import { normalizeClientPublicKeys } from './client-public-keys.js';
import type {
  ClientAssertionAlg,
  ClientCredentials,
  ClientImportOutcome,
  ClientPatch,
  ClientPublicKeys,
  ClientRecord,
  ClientSecretHash,
  ClientStore,
  CreateClientOptions,
  ImportedClient,
  NewClient,
  NewClientPublicKeys,
} from './client-store.js';
import {
  CLIENT_SECRET_SCHEME,
  generateClientSecret,
  hashClientSecret,
} from './hash-client-secret.js';
import {
  DEFAULT_TOKEN_TTL_SEC,
  MAX_SECRET_GRACE_SEC,
  validateAudiences,
  validateClientName,
  validateScopes,
  validateSeconds,
  validateTokenFormat,
  validateTokenTtl,
} from './validate-client-fields.js';

/**
 * The client registry (RFC 6749 §2) over the store's database; the same queries on SQLite and
 * PostgreSQL. Every change runs in one serialized transaction that also bumps the store revision.
 */
/** The fields of a new client: another name is a misspelling (`scope`), refused, not ignored. */
const NEW_CLIENT_FIELDS = [
  'name',
  'scopes',
  'audiences',
  'tokenTtlSec',
] as const satisfies readonly (keyof NewClient)[];
/** The fields a client update may change. */
const CLIENT_PATCH_FIELDS = [
  'scopes',
  'audiences',
  'tokenTtlSec',
  'tokenFormat',
] as const satisfies readonly (keyof ClientPatch)[];

export function createClientStore(ctx: StoreContext): ClientStore {
  const { db } = ctx;

  async function findRow(
    executor: Trx | StoreContext['db'],
    idOrName: string,
  ): Promise<ClientsTable | undefined> {
    const rows = await executor
      .selectFrom('m2m_clients')
      .selectAll()
      .where((eb) => eb.or([eb('client_id', '=', idOrName), eb('name', '=', idOrName)]))
      .execute();
    return rows.find((row) => row.client_id === idOrName) ?? rows[0];
  }

  async function requireRow(trx: Trx, idOrName: string): Promise<ClientsTable> {
    const row = await findRow(trx, idOrName);
    if (row === undefined) {
      throw new StoreError(
        'ERR_CLIENT_NOT_FOUND',
        `no client with id or name ${JSON.stringify(idOrName)}`,
      );
    }
    return row;
  }

  function requireNotRevoked(row: ClientsTable): void {
    if (row.revoked_at !== null) {
      throw new StoreError('ERR_CLIENT_REVOKED', `client ${row.name} is revoked`);
    }
  }

  return {
    async create(input: NewClient, options?: CreateClientOptions) {
      rejectUnknownOptions('clients.create', input, NEW_CLIENT_FIELDS);
      const clientSecret = generateClientSecret();
      const secretHash = hashClientSecret(clientSecret);
      const client = await insertClient(
        ctx,
        input,
        async (trx, row, now) => {
          await insertSecret(trx, row.client_id, secretHash, now);
        },
        options,
      );
      return { client, clientSecret };
    },

    async createWithPublicKeys(
      input: NewClient,
      keys: NewClientPublicKeys,
      options?: CreateClientOptions,
    ) {
      rejectUnknownOptions('clients.createWithPublicKeys', input, NEW_CLIENT_FIELDS);
      const publicKeys = await normalizeClientPublicKeys(keys);
      return insertClient(
        ctx,
        input,
        async (trx, row, now) => {
          await trx
            .insertInto('m2m_client_keys')
            .values(keysRow(row.client_id, publicKeys, now))
            .execute();
        },
        options,
      );
    },

    async setPublicKeys(idOrName: string, keys: NewClientPublicKeys) {
      const publicKeys = await normalizeClientPublicKeys(keys);
      return writeTransaction(ctx, async (trx, changed) => {
        const row = await requireRow(trx, idOrName);
        requireNotRevoked(row);
        const now = ctx.now();
        // A client authenticates one way: with keys registered, its secrets have no further use.
        await trx.deleteFrom('m2m_client_secrets').where('client_id', '=', row.client_id).execute();
        await trx.deleteFrom('m2m_client_keys').where('client_id', '=', row.client_id).execute();
        await trx
          .insertInto('m2m_client_keys')
          .values(keysRow(row.client_id, publicKeys, now))
          .execute();
        await trx
          .updateTable('m2m_clients')
          .set({ updated_at: now })
          .where('client_id', '=', row.client_id)
          .execute();
        changed();
        return toRecord({ ...row, updated_at: now });
      });
    },

    async list() {
      const rows = await db.selectFrom('m2m_clients').selectAll().orderBy('name').execute();
      return rows.map(toRecord);
    },

    async find(idOrName: string) {
      const row = await findRow(db, idOrName);
      return row === undefined ? undefined : toRecord(row);
    },

    async getCredentials(clientId: string): Promise<ClientCredentials | undefined> {
      const row = await db
        .selectFrom('m2m_clients')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const now = ctx.now();
      const secrets = await db
        .selectFrom('m2m_client_secrets')
        .select(['scheme', 'hash', 'expires_at'])
        .where('client_id', '=', clientId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute();
      const keys = await db
        .selectFrom('m2m_client_keys')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      const credentials: ClientCredentials = {
        client: toRecord(row),
        secrets: secrets.map((s) => ({ scheme: s.scheme, hash: s.hash, expiresAt: s.expires_at })),
      };
      if (keys !== undefined) credentials.publicKeys = toPublicKeys(keys);
      return credentials;
    },

    async listCredentials(): Promise<ClientCredentials[]> {
      const now = ctx.now();
      const [rows, secrets, keys] = await Promise.all([
        db.selectFrom('m2m_clients').selectAll().execute(),
        db
          .selectFrom('m2m_client_secrets')
          .select(['client_id', 'scheme', 'hash', 'expires_at'])
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .execute(),
        db.selectFrom('m2m_client_keys').selectAll().execute(),
      ]);
      const byClient = new Map<string, ClientCredentials>();
      for (const row of rows) byClient.set(row.client_id, { client: toRecord(row), secrets: [] });
      for (const s of secrets) {
        byClient.get(s.client_id)?.secrets.push({
          scheme: s.scheme,
          hash: s.hash,
          expiresAt: s.expires_at === null ? null : Number(s.expires_at),
        });
      }
      for (const k of keys) {
        const credentials = byClient.get(k.client_id);
        if (credentials !== undefined) credentials.publicKeys = toPublicKeys(k);
      }
      return [...byClient.values()];
    },

    async update(idOrName: string, patch: ClientPatch) {
      rejectUnknownOptions('clients.update', patch, CLIENT_PATCH_FIELDS);
      const changes: Partial<ClientsTable> = {};
      if (patch.scopes !== undefined) changes.scopes = JSON.stringify(validateScopes(patch.scopes));
      if (patch.audiences !== undefined) {
        changes.audiences = JSON.stringify(validateAudiences(patch.audiences));
      }
      if (patch.tokenTtlSec !== undefined) {
        changes.token_ttl_sec = validateTokenTtl(patch.tokenTtlSec);
      }
      if (patch.tokenFormat !== undefined) {
        changes.token_format = validateTokenFormat(patch.tokenFormat);
      }
      if (Object.keys(changes).length === 0) {
        throw new StoreError(
          'ERR_NOTHING_TO_UPDATE',
          'nothing to update: give scopes, audiences, a token TTL or a token format',
        );
      }
      return writeTransaction(ctx, async (trx, changed) => {
        const row = await requireRow(trx, idOrName);
        requireNotRevoked(row);
        const updated: ClientsTable = { ...row, ...changes, updated_at: ctx.now() };
        await trx
          .updateTable('m2m_clients')
          .set({ ...changes, updated_at: updated.updated_at })
          .where('client_id', '=', row.client_id)
          .execute();
        changed();
        return toRecord(updated);
      });
    },

    async revoke(idOrName: string) {
      return writeTransaction(ctx, async (trx, changed) => {
        const row = await requireRow(trx, idOrName);
        if (row.revoked_at !== null) return toRecord(row); // already revoked: nothing to do
        const now = ctx.now();
        await trx
          .updateTable('m2m_clients')
          .set({ revoked_at: now, updated_at: now })
          .where('client_id', '=', row.client_id)
          .execute();
        // A revoked client never authenticates again: its secret hashes have no further use.
        await trx.deleteFrom('m2m_client_secrets').where('client_id', '=', row.client_id).execute();
        changed();
        return toRecord({ ...row, revoked_at: now, updated_at: now });
      });
    },

    async importClients(clients: readonly ImportedClient[], options?: { dryRun?: boolean }) {
      const checked = clients.map((c) => ({
        ...c,
        name: validateClientName(c.name),
        scopes: validateScopes(c.scopes),
        audiences: validateAudiences(c.audiences),
        tokenFormat: validateTokenFormat(c.tokenFormat),
        ...(c.tokenTtlSec === undefined ? {} : { tokenTtlSec: validateTokenTtl(c.tokenTtlSec) }),
      }));
      const outcomes: ClientImportOutcome[] = [];
      const run = writeTransaction(ctx, async (trx, changed) => {
        const now = ctx.now();
        for (const c of checked) {
          const holder = await trx
            .selectFrom('m2m_clients')
            .select('client_id')
            .where('name', '=', c.name)
            .executeTakeFirst();
          if (holder !== undefined && holder.client_id !== c.clientId) throw nameTaken(c.name);
          const existing = await trx
            .selectFrom('m2m_clients')
            .selectAll()
            .where('client_id', '=', c.clientId)
            .executeTakeFirst();
          if (existing === undefined) {
            await trx
              .insertInto('m2m_clients')
              .values({
                client_id: c.clientId,
                name: c.name,
                scopes: JSON.stringify(c.scopes),
                audiences: JSON.stringify(c.audiences),
                token_ttl_sec: c.tokenTtlSec ?? DEFAULT_TOKEN_TTL_SEC,
                created_at: now,
                updated_at: now,
                revoked_at: c.revoked ? now : null,
                token_format: c.tokenFormat,
              })
              .execute();
            if (!c.revoked && c.secret !== null) await insertSecret(trx, c.clientId, c.secret, now);
            outcomes.push({ clientId: c.clientId, name: c.name, action: 'create', changed: [] });
            changed();
            continue;
          }
          const changes: Partial<ClientsTable> = {};
          const fields: string[] = [];
          if (existing.name !== c.name) {
            changes.name = c.name;
            fields.push('name');
          }
          if (existing.scopes !== JSON.stringify(c.scopes)) {
            changes.scopes = JSON.stringify(c.scopes);
            fields.push('scopes');
          }
          if (existing.audiences !== JSON.stringify(c.audiences)) {
            changes.audiences = JSON.stringify(c.audiences);
            fields.push('audiences');
          }
          if (c.tokenTtlSec !== undefined && Number(existing.token_ttl_sec) !== c.tokenTtlSec) {
            changes.token_ttl_sec = c.tokenTtlSec;
            fields.push('tokenTtlSec');
          }
          if (c.revoked && existing.revoked_at === null) {
            changes.revoked_at = now;
            fields.push('revoked');
            await trx
              .deleteFrom('m2m_client_secrets')
              .where('client_id', '=', c.clientId)
              .execute();
          }
          if (fields.length > 0) {
            await trx
              .updateTable('m2m_clients')
              .set({ ...changes, updated_at: now })
              .where('client_id', '=', c.clientId)
              .execute();
            changed();
          }
          outcomes.push({
            clientId: c.clientId,
            name: c.name,
            action: fields.length > 0 ? 'update' : 'unchanged',
            changed: fields,
          });
        }
        if (options?.dryRun === true) throw DRY_RUN;
      });
      try {
        await run;
      } catch (err) {
        if (err !== DRY_RUN) {
          if (isUniqueViolation(err))
            throw new StoreError('ERR_CLIENT_NAME_TAKEN', 'a client name is already taken');
          throw err;
        }
      }
      return outcomes;
    },

    async replaceSecretHash(clientId, from, to) {
      return writeTransaction(ctx, async (trx, changed) => {
        const result = await trx
          .updateTable('m2m_client_secrets')
          .set({ scheme: to.scheme, hash: to.hash })
          .where('client_id', '=', clientId)
          .where('scheme', '=', from.scheme)
          .where('hash', '=', from.hash)
          .executeTakeFirst();
        const replaced = Number(result.numUpdatedRows) > 0;
        if (replaced) changed();
        return replaced;
      });
    },

    async legacySecretClientIds() {
      const rows = await db
        .selectFrom('m2m_client_secrets')
        .select('client_id')
        .distinct()
        .where('scheme', '!=', CLIENT_SECRET_SCHEME)
        .execute();
      return rows.map((row) => row.client_id);
    },

    async rotateSecret(idOrName: string, graceSec: number) {
      validateSeconds(graceSec, 'grace period', 0, MAX_SECRET_GRACE_SEC);
      const clientSecret = generateClientSecret();
      const secretHash = hashClientSecret(clientSecret);
      return writeTransaction(ctx, async (trx, changed) => {
        const row = await requireRow(trx, idOrName);
        requireNotRevoked(row);
        const now = ctx.now();
        const graceEnd = now + graceSec;
        // Secrets already past their grace period are gone; the others expire at the latest when
        // the new grace period ends (an earlier, shorter grace is kept).
        if (graceSec === 0) {
          await trx
            .deleteFrom('m2m_client_secrets')
            .where('client_id', '=', row.client_id)
            .execute();
        } else {
          await trx
            .deleteFrom('m2m_client_secrets')
            .where('client_id', '=', row.client_id)
            .where('expires_at', '<=', now)
            .execute();
          await trx
            .updateTable('m2m_client_secrets')
            .set({ expires_at: graceEnd })
            .where('client_id', '=', row.client_id)
            .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', graceEnd)]))
            .execute();
        }
        await insertSecret(trx, row.client_id, secretHash, now);
        // A client authenticates one way: a new secret ends its private_key_jwt registration.
        await trx.deleteFrom('m2m_client_keys').where('client_id', '=', row.client_id).execute();
        await trx
          .updateTable('m2m_clients')
          .set({ updated_at: now })
          .where('client_id', '=', row.client_id)
          .execute();
        changed();
        return { client: toRecord({ ...row, updated_at: now }), clientSecret };
      });
    },
  };
}

/**
 * Inserts a client row and, in the same transaction, its credential (secret hash, keys or a
 * federated subject), refusing a taken name unless `options.replacingRevoked` is the revoked
 * client holding it (that one is then renamed, see {@link CreateClientOptions}).
 */
export async function insertClient(
  ctx: StoreContext,
  input: NewClient,
  addCredential: (trx: Trx, row: ClientsTable, now: number) => Promise<void>,
  options: CreateClientOptions = {},
): Promise<ClientRecord> {
  const name = validateClientName(input.name);
  const scopes = validateScopes(input.scopes ?? []);
  const audiences = validateAudiences(input.audiences ?? []);
  const tokenTtlSec = validateTokenTtl(input.tokenTtlSec ?? DEFAULT_TOKEN_TTL_SEC);
  const now = ctx.now();
  const row: ClientsTable = {
    client_id: randomUUID(),
    name,
    scopes: JSON.stringify(scopes),
    audiences: JSON.stringify(audiences),
    token_ttl_sec: tokenTtlSec,
    created_at: now,
    updated_at: now,
    revoked_at: null,
    token_format: 'rfc9068',
  };
  try {
    await writeTransaction(ctx, async (trx, changed) => {
      if (options.replacingRevoked !== undefined) {
        await retireRevokedClient(trx, options.replacingRevoked, name, now);
      }
      const taken = await trx
        .selectFrom('m2m_clients')
        .select('client_id')
        .where('name', '=', name)
        .executeTakeFirst();
      if (taken !== undefined) throw nameTaken(name);
      await trx.insertInto('m2m_clients').values(row).execute();
      await addCredential(trx, row, now);
      changed();
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(name);
    throw err;
  }
  return toRecord(row);
}

/** Longest client name (`CLIENT_NAME_PATTERN`). */
const MAX_CLIENT_NAME_LENGTH = 64;

/**
 * Renames the revoked client `clientId`, which must hold `name`, to a free name so that `name`
 * can be given to a new client. Its client_id, `revoked_at`, secrets (none) and audit rows are left
 * as they are: every token it was issued stays refused, and the revocation feed keeps listing it.
 */
async function retireRevokedClient(
  trx: Trx,
  clientId: string,
  name: string,
  now: number,
): Promise<void> {
  const row = await trx
    .selectFrom('m2m_clients')
    .selectAll()
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (row === undefined) {
    throw new StoreError('ERR_CLIENT_NOT_FOUND', `no client with id ${JSON.stringify(clientId)}`);
  }
  if (row.name !== name || row.revoked_at === null) {
    // Only a revoked client holding the very name may give it up; anything else stays a clash.
    throw new StoreError(
      'ERR_CLIENT_NAME_TAKEN',
      row.revoked_at === null
        ? `a client named ${row.name} already exists and is not revoked, so it cannot be replaced`
        : `client ${clientId} is named ${row.name}, not ${name}`,
    );
  }
  const suffix = `.revoked-${Number(row.revoked_at)}`;
  for (let n = 1; ; n++) {
    const tail = n === 1 ? suffix : `${suffix}-${n}`;
    const candidate = name.slice(0, MAX_CLIENT_NAME_LENGTH - tail.length) + tail;
    const holder = await trx
      .selectFrom('m2m_clients')
      .select('client_id')
      .where('name', '=', candidate)
      .executeTakeFirst();
    if (holder !== undefined) continue;
    await trx
      .updateTable('m2m_clients')
      .set({ name: candidate, updated_at: now })
      .where('client_id', '=', clientId)
      .execute();
    return;
  }
}

/** Stores a client's new secret hash, valid until a later rotation gives it an end. */
async function insertSecret(
  trx: Trx,
  clientId: string,
  secretHash: ClientSecretHash,
  now: number,
): Promise<void> {
  await trx
    .insertInto('m2m_client_secrets')
    .values({
      secret_id: randomUUID(),
      client_id: clientId,
      scheme: secretHash.scheme,
      hash: secretHash.hash,
      created_at: now,
      expires_at: null,
    })
    .execute();
}

/** Thrown inside a dry-run import to roll its transaction back. */
const DRY_RUN = Symbol('dry run');

/** A `m2m_client_keys` row as the client's registered public keys (private_key_jwt). */
function toPublicKeys(row: {
  alg: string;
  jwks: string | null;
  jwks_uri: string | null;
}): ClientPublicKeys {
  return {
    alg: row.alg as ClientAssertionAlg,
    keys: row.jwks === null ? null : JSON.parse(row.jwks),
    jwksUri: row.jwks_uri,
  };
}

function keysRow(clientId: string, keys: ClientPublicKeys, now: number) {
  return {
    client_id: clientId,
    alg: keys.alg,
    jwks: keys.keys === null ? null : JSON.stringify(keys.keys),
    jwks_uri: keys.jwksUri,
    updated_at: now,
  };
}

function nameTaken(name: string): StoreError {
  return new StoreError('ERR_CLIENT_NAME_TAKEN', `a client named ${name} already exists`);
}

function toRecord(row: ClientsTable): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    audiences: JSON.parse(row.audiences) as string[],
    tokenTtlSec: Number(row.token_ttl_sec),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    tokenFormat: row.token_format as AccessTokenFormat,
  };
}
