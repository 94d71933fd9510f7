import type { JWK } from 'jose';
import { isUniqueViolation } from '../store/internal/constraint-error.js';
import type { StoreContext } from '../store/internal/context.js';
import type { TrustedIssuersTable } from '../store/internal/database.js';
import { writeTransaction } from '../store/internal/write-transaction.js';
import { StoreError } from '../store/store-error.js';
import { normalizeClientPublicKeys, validateJwksUri } from './client-public-keys.js';
import { insertClient } from './kysely-client-store.js';
import type { NewTrustedIssuer, TrustedIssuer, TrustStore } from './trust-store.js';

/** Default of `maxLifetimeSec`: an hour, the kubelet's default projected-token lifetime. */
export const DEFAULT_TRUST_MAX_LIFETIME_SEC = 3600;
/** Longest accepted `maxLifetimeSec`: a day. */
const MAX_TRUST_LIFETIME_SEC = 86_400;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** A Kubernetes service-account subject: `system:serviceaccount:<namespace>:<name>`. */
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * Trusted issuers and federated subjects over the store's database. Every change runs in a
 * serialized write transaction that moves the store revision.
 */
export function createTrustStore(ctx: StoreContext): TrustStore {
  const { db } = ctx;
  const toTrust = (row: TrustedIssuersTable): TrustedIssuer => ({
    name: row.name,
    issuer: row.issuer,
    jwksUri: row.jwks_uri,
    keys: row.jwks === null ? null : (JSON.parse(row.jwks) as JWK[]),
    audience: row.audience,
    maxLifetimeSec: Number(row.max_lifetime_sec),
    createdAt: Number(row.created_at),
  });
  const get = async (name: string) => {
    const row = await db
      .selectFrom('m2m_trusted_issuers')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined ? undefined : toTrust(row);
  };

  return {
    async add(input: NewTrustedIssuer) {
      const row = await validateTrust(input, ctx.now());
      try {
        await writeTransaction(ctx, async (trx, changed) => {
          const taken = await trx
            .selectFrom('m2m_trusted_issuers')
            .select('name')
            .where((eb) => eb.or([eb('name', '=', row.name), eb('issuer', '=', row.issuer)]))
            .executeTakeFirst();
          if (taken !== undefined) throw trustExists(row.name);
          await trx.insertInto('m2m_trusted_issuers').values(row).execute();
          changed();
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw trustExists(row.name);
        throw err;
      }
      return toTrust(row);
    },

    async list() {
      const rows = await db.selectFrom('m2m_trusted_issuers').selectAll().orderBy('name').execute();
      return rows.map(toTrust);
    },

    get,

    async remove(name: string) {
      await writeTransaction(ctx, async (trx, changed) => {
        const found = await trx
          .selectFrom('m2m_trusted_issuers')
          .select('name')
          .where('name', '=', name)
          .executeTakeFirst();
        if (found === undefined) throw trustNotFound(name);
        await trx.deleteFrom('m2m_federated_subjects').where('trust_name', '=', name).execute();
        await trx.deleteFrom('m2m_trusted_issuers').where('name', '=', name).execute();
        changed();
      });
    },

    async createFederatedClient(input, binding) {
      const subject = binding.subject;
      if (typeof subject !== 'string' || subject === '' || subject.length > 512) {
        throw new StoreError(
          'ERR_INVALID_TRUST',
          'the federated subject must be a non-empty string',
        );
      }
      const serviceAccount = SERVICE_ACCOUNT.exec(subject);
      if (serviceAccount?.[2] === 'default' && binding.allowDefaultServiceAccount !== true) {
        throw new StoreError(
          'ERR_INVALID_TRUST',
          `${subject} is the default service account of namespace ${serviceAccount[1]}: every pod that names no account runs as it. Give the service its own account, or pass --allow-default-service-account`,
        );
      }
      try {
        return await insertClient(ctx, input, async (trx, row) => {
          const trust = await trx
            .selectFrom('m2m_trusted_issuers')
            .select('name')
            .where('name', '=', binding.trustName)
            .executeTakeFirst();
          if (trust === undefined) throw trustNotFound(binding.trustName);
          const bound = await trx
            .selectFrom('m2m_federated_subjects')
            .select('client_id')
            .where('trust_name', '=', binding.trustName)
            .where('subject', '=', subject)
            .executeTakeFirst();
          if (bound !== undefined) throw subjectTaken(binding.trustName, subject);
          await trx
            .insertInto('m2m_federated_subjects')
            .values({ trust_name: binding.trustName, subject, client_id: row.client_id })
            .execute();
        });
      } catch (err) {
        if (err instanceof StoreError && err.code === 'ERR_CLIENT_NAME_TAKEN') throw err;
        if (isUniqueViolation(err)) throw subjectTaken(binding.trustName, subject);
        throw err;
      }
    },

    async byIssuer(issuer: string) {
      const row = await db
        .selectFrom('m2m_trusted_issuers')
        .selectAll()
        .where('issuer', '=', issuer)
        .executeTakeFirst();
      return row === undefined ? undefined : toTrust(row);
    },

    async boundClient(trustName: string, subject: string) {
      const row = await db
        .selectFrom('m2m_federated_subjects')
        .select('client_id')
        .where('trust_name', '=', trustName)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return row?.client_id;
    },

    async subjectsOf(clientId: string) {
      const rows = await db
        .selectFrom('m2m_federated_subjects')
        .selectAll()
        .where('client_id', '=', clientId)
        .execute();
      return rows.map((r) => ({
        trustName: r.trust_name,
        subject: r.subject,
        clientId: r.client_id,
      }));
    },
  };
}

async function validateTrust(input: NewTrustedIssuer, now: number): Promise<TrustedIssuersTable> {
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    throw new StoreError(
      'ERR_INVALID_TRUST',
      'a trust name starts with a letter and holds only letters, digits, "_", "." or "-" (at most 64)',
    );
  }
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(input.issuer);
  } catch {
    throw new StoreError(
      'ERR_INVALID_TRUST',
      `issuer is not a URL: ${JSON.stringify(input.issuer)}`,
    );
  }
  if (issuerUrl.protocol !== 'https:' && issuerUrl.protocol !== 'http:') {
    throw new StoreError('ERR_INVALID_TRUST', 'issuer must be an http(s) URL');
  }
  if ((input.jwksUri === undefined) === (input.jwks === undefined)) {
    throw new StoreError('ERR_INVALID_TRUST', 'give exactly one key source: a jwks_uri or a JWKS');
  }
  if (typeof input.audience !== 'string' || input.audience === '' || input.audience.length > 512) {
    throw new StoreError('ERR_INVALID_TRUST', 'the audience its tokens must carry is required');
  }
  const maxLifetimeSec = input.maxLifetimeSec ?? DEFAULT_TRUST_MAX_LIFETIME_SEC;
  if (
    !Number.isSafeInteger(maxLifetimeSec) ||
    maxLifetimeSec < 1 ||
    maxLifetimeSec > MAX_TRUST_LIFETIME_SEC
  ) {
    throw new StoreError(
      'ERR_INVALID_TRUST',
      `max lifetime must be 1 to ${MAX_TRUST_LIFETIME_SEC} seconds`,
    );
  }
  let jwks: string | null = null;
  let jwksUri: string | null = null;
  if (input.jwksUri !== undefined) {
    try {
      jwksUri = validateJwksUri(input.jwksUri);
    } catch (err) {
      throw new StoreError('ERR_INVALID_TRUST', (err as Error).message);
    }
  } else {
    const set = typeof input.jwks === 'string' ? safeJson(input.jwks) : input.jwks;
    const keys = (set as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > 16) {
      throw new StoreError('ERR_INVALID_TRUST', 'the JWKS must hold 1 to 16 keys');
    }
    // Each key checked as a client key is (public, a supported algorithm), one algorithm per key.
    const normalized: JWK[] = [];
    for (const key of keys as JWK[]) {
      try {
        normalized.push(...((await normalizeClientPublicKeys({ publicKeys: [key] })).keys ?? []));
      } catch (err) {
        throw new StoreError('ERR_INVALID_TRUST', `JWKS key: ${(err as Error).message}`);
      }
    }
    jwks = JSON.stringify(normalized);
  }
  return {
    name: input.name,
    issuer: input.issuer,
    jwks_uri: jwksUri,
    jwks,
    audience: input.audience,
    max_lifetime_sec: maxLifetimeSec,
    created_at: now,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreError('ERR_INVALID_TRUST', 'the JWKS is not JSON');
  }
}

function trustExists(name: string): StoreError {
  return new StoreError(
    'ERR_TRUST_EXISTS',
    `a trusted issuer named ${name} (or with that issuer) exists`,
  );
}

function trustNotFound(name: string): StoreError {
  return new StoreError('ERR_TRUST_NOT_FOUND', `no trusted issuer named ${JSON.stringify(name)}`);
}

function subjectTaken(trust: string, subject: string): StoreError {
  return new StoreError(
    'ERR_SUBJECT_TAKEN',
    `${trust}:${subject} already authenticates another client`,
  );
}
