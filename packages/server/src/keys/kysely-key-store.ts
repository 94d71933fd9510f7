import type { JWK } from 'jose';
import { validateSeconds } from '../internal/validate-seconds.js';
import { isUniqueViolation } from '../store/internal/constraint-error.js';
import type { SigningKeysTable, Trx } from '../store/internal/database.js';
import { writeTransaction } from '../store/internal/write-transaction.js';
import { StoreError } from '../store/store-error.js';
import type { SigningAlg } from '../tokens/token-types.js';
import { generateSigningKeyPair } from './generate-signing-key-pair.js';
import { emptyKeyLifecycleChange } from './internal/empty-key-lifecycle-change.js';
import { createKeySealing } from './internal/key-sealing.js';
import type { KeyEncryptionKey } from './key-encryption-key.js';
import {
  DEFAULT_PROPAGATION_SEC,
  dueTransitions,
  isGuardedRotationDue,
  isPublished,
  MAX_PROPAGATION_SEC,
  oldestNext,
  pendingRotationError,
  retiredKeyRemoveAt,
} from './key-lifecycle.js';
import type {
  KeyLifecycleChange,
  KeyState,
  KeyStore,
  RotateOptions,
  SigningKeyMaterial,
  SigningKeyRecord,
} from './key-store.js';
import type { KeyStoreContext } from './key-store-context.js';
import { readPrivateKeyPem } from './read-private-key-pem.js';
import {
  DEFAULT_SIGNING_ALG,
  isSigningAlg,
  SIGNING_ALGS,
  type SigningKeyPair,
} from './signing-key-pair.js';

/**
 * Signing keys over the store's database, private parts encrypted under the key-encryption key
 * (internal/key-sealing.ts). What is due when is decided by the lifecycle rules (key-lifecycle.ts);
 * this persists their decisions. Lifecycle changes run in serialized transactions guarded by the
 * database (a unique index allows one `active` key), so concurrent CLI runs and server instances
 * cannot both act.
 */
export function createKeyStore(ctx: KeyStoreContext): KeyStore {
  const { db } = ctx;
  const sealing = createKeySealing(ctx);
  const encryptPair = sealing.seal;
  const assertDecryptable = sealing.assertDecryptable;

  /** Inserts a key; `generate` and `import` share the state rules. */
  async function insertKey(
    pair: SigningKeyPair,
    options: { state?: KeyState; activatesAt?: number | null },
  ): Promise<SigningKeyRecord> {
    if (options.state !== undefined && options.state !== 'active' && options.state !== 'next') {
      throw new StoreError(
        'ERR_INVALID_KEY_STATE',
        `a new key can only be "active" or "next", not ${JSON.stringify(options.state)}`,
      );
    }
    const jwe = await encryptPair(pair);
    try {
      return await writeTransaction(ctx, async (trx, changed) => {
        const existing = await getRow(trx, pair.kid);
        if (existing !== undefined) {
          throw new StoreError(
            'ERR_KEY_EXISTS',
            `key ${pair.kid} is already in the store (${existing.state})`,
          );
        }
        const active = await activeRow(trx);
        const state: 'active' | 'next' =
          options.state === 'active' || options.state === 'next'
            ? options.state
            : active === undefined
              ? 'active'
              : 'next';
        if (state === 'active' && active !== undefined) {
          throw new StoreError(
            'ERR_ACTIVE_KEY_EXISTS',
            `key ${active.kid} is already active; use "keys rotate" to replace it`,
          );
        }
        const now = ctx.now();
        const row = newRow(
          pair,
          jwe,
          state,
          now,
          state === 'next' ? (options.activatesAt ?? null) : null,
        );
        await trx.insertInto('m2m_signing_keys').values(row).execute();
        changed();
        return toRecord(row);
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new StoreError(
          'ERR_ACTIVE_KEY_EXISTS',
          'another key became active at the same time; retry',
        );
      }
      throw err;
    }
  }

  /** Retires the active key (if any) at `now`; returns the retired record. */
  async function retireActive(trx: Trx, now: number): Promise<SigningKeyRecord | undefined> {
    const active = await activeRow(trx);
    if (active === undefined) return undefined;
    const retired: SigningKeysTable = {
      ...active,
      state: 'retired',
      retired_at: now,
      remove_at: retiredKeyRemoveAt(now, await ctx.maxTokenTtlSec(trx)),
    };
    await trx
      .updateTable('m2m_signing_keys')
      .set({ state: 'retired', retired_at: retired.retired_at, remove_at: retired.remove_at })
      .where('kid', '=', active.kid)
      .execute();
    return toRecord(retired);
  }

  async function activate(trx: Trx, row: SigningKeysTable, now: number): Promise<SigningKeyRecord> {
    const activated: SigningKeysTable = {
      ...row,
      state: 'active',
      activates_at: null,
      activated_at: now,
    };
    await trx
      .updateTable('m2m_signing_keys')
      .set({ state: 'active', activates_at: null, activated_at: now })
      .where('kid', '=', row.kid)
      .execute();
    return toRecord(activated);
  }

  return {
    async generate(alg: SigningAlg, options = {}) {
      return insertKey(await generateSigningKeyPair(alg), options);
    },

    async import(privateKeyPem: string, options = {}) {
      return insertKey(await readPrivateKeyPem(privateKeyPem), options);
    },

    async list() {
      const rows = await db
        .selectFrom('m2m_signing_keys')
        .selectAll()
        .orderBy('created_at')
        .orderBy('kid')
        .execute();
      return rows.map(toRecord);
    },

    async published(now = ctx.now()) {
      const rows = await db
        .selectFrom('m2m_signing_keys')
        .selectAll()
        .orderBy('created_at')
        .orderBy('kid')
        .execute();
      return rows.map(toRecord).filter((key) => isPublished(key, now));
    },

    async active(): Promise<SigningKeyMaterial | undefined> {
      const row = await activeRow(db);
      if (row === undefined) return undefined;
      return { ...toRecord(row), privateKeyPem: await sealing.open(row) };
    },

    async get(kid: string) {
      const row = await getRow(db, kid);
      return row === undefined ? undefined : toRecord(row);
    },

    async rotate(options: RotateOptions = {}): Promise<KeyLifecycleChange> {
      const startedAt = options.now ?? ctx.now();
      const propagationSec = validateSeconds(
        options.propagationSec ?? DEFAULT_PROPAGATION_SEC,
        'propagation delay',
        0,
        MAX_PROPAGATION_SEC,
      );
      if (options.ifActiveOlderThanSec !== undefined) {
        validateSeconds(
          options.ifActiveOlderThanSec,
          'rotation interval',
          1,
          Number.MAX_SAFE_INTEGER,
        );
      }
      if (options.alg !== undefined && !isSigningAlg(options.alg)) {
        throw unsupportedAlg(options.alg);
      }
      const change = emptyKeyLifecycleChange();

      // A cheap look outside the transaction decides whether a key must be generated (RSA takes
      // a moment; scheduled rotation asks often); the transaction re-checks everything.
      const before = await db.selectFrom('m2m_signing_keys').selectAll().execute();
      const beforeKeys = before.map(toRecord);
      if (!isGuardedRotationDue(beforeKeys, options.ifActiveOlderThanSec, startedAt)) {
        return { ...change, skipped: true };
      }
      const beforeActive = before.find((row) => row.state === 'active');
      const pending = before.some((row) => row.state === 'next');
      // A rotation already under way is refused before the key-encryption key is even read.
      const nextBefore = oldestNext(beforeKeys);
      if (nextBefore !== undefined) {
        const pendingError = pendingRotationError(
          nextBefore,
          options,
          options.immediately === true || beforeActive === undefined,
        );
        if (pendingError !== undefined) throw pendingError;
      }
      const alg =
        options.alg ?? (beforeActive?.alg as SigningAlg | undefined) ?? DEFAULT_SIGNING_ALG;
      // Proven before anything is written: the key-encryption key decrypts every stored key, the
      // waiting `next` one included (it may be activated below).
      const kek = await ctx.verifiedKeyEncryptionKey();
      const pair = pending ? undefined : await generateSigningKeyPair(alg);
      const jwe = pair === undefined ? undefined : await encryptPair(pair, kek);

      return writeTransaction(ctx, async (trx, changed) => {
        // Read the clock again: generating an RSA key can take a second, and the propagation delay
        // must count from the moment the key is published, not from when the call started.
        const now = options.now ?? ctx.now();
        const rows = await trx.selectFrom('m2m_signing_keys').selectAll().execute();
        const keys = rows.map(toRecord);
        if (!isGuardedRotationDue(keys, options.ifActiveOlderThanSec, now)) {
          return { ...change, skipped: true };
        }
        const active = rows.find((row) => row.state === 'active');
        const nextKey = oldestNext(keys);
        const next = rows.find((row) => row.kid === nextKey?.kid);
        const activateNow = options.immediately === true || active === undefined;

        if (next !== undefined && nextKey !== undefined) {
          const pendingError = pendingRotationError(nextKey, options, activateNow);
          if (pendingError !== undefined) throw pendingError;
          if (activateNow) {
            await assertDecryptable(next, kek);
            const retired = await retireActive(trx, now);
            if (retired) change.retired.push(retired);
            change.activated.push(await activate(trx, next, now));
          } else if (next.activates_at === null) {
            // A key generated as `next` without a date: rotation schedules it.
            const activatesAt = now + propagationSec;
            await trx
              .updateTable('m2m_signing_keys')
              .set({ activates_at: activatesAt })
              .where('kid', '=', next.kid)
              .execute();
            change.scheduled.push(toRecord({ ...next, activates_at: activatesAt }));
          }
          changed();
          return change;
        }

        if (pair === undefined || jwe === undefined) {
          // A `next` key existed before the transaction and is gone now (revoked concurrently).
          throw new StoreError('ERR_ROTATION_PENDING', 'the keys changed during rotation; retry');
        }
        if (activateNow) {
          const retired = await retireActive(trx, now);
          if (retired) change.retired.push(retired);
          const row = newRow(pair, jwe, 'active', now, null);
          await trx.insertInto('m2m_signing_keys').values(row).execute();
          change.created.push(toRecord(row));
          change.activated.push(toRecord(row));
        } else {
          const row = newRow(pair, jwe, 'next', now, now + propagationSec);
          await trx.insertInto('m2m_signing_keys').values(row).execute();
          change.created.push(toRecord(row));
          change.scheduled.push(toRecord(row));
        }
        changed();
        return change;
      });
    },

    async revoke(kid: string, options = {}): Promise<KeyLifecycleChange> {
      const now = options.now ?? ctx.now();
      const change = emptyKeyLifecycleChange();
      const before = await getRow(db, kid);
      if (before === undefined) throw keyNotFound(kid);
      if (before.state === 'revoked') return { ...change, skipped: true };
      // Revoking the active key must not stop signing: a waiting `next` key takes over, else a
      // fresh key of the same algorithm (generated before the transaction).
      const hasNext = await db
        .selectFrom('m2m_signing_keys')
        .select('kid')
        .where('state', '=', 'next')
        .executeTakeFirst();
      // Revoking the active key activates or creates another: prove first that the key-encryption
      // key decrypts the stored keys, the revoked one included (it is the proof that this is the
      // key the servers hold: a replacement under another one would stop all signing).
      const kek = before.state === 'active' ? await ctx.verifiedKeyEncryptionKey() : undefined;
      const replacement =
        before.state === 'active' && hasNext === undefined
          ? await generateSigningKeyPair(before.alg as SigningAlg)
          : undefined;
      const replacementJwe =
        replacement === undefined ? undefined : await encryptPair(replacement, kek);

      return writeTransaction(ctx, async (trx, changed) => {
        const row = await getRow(trx, kid);
        if (row === undefined) throw keyNotFound(kid);
        if (row.state === 'revoked') return { ...change, skipped: true };
        await trx
          .updateTable('m2m_signing_keys')
          .set({
            state: 'revoked',
            revoked_at: now,
            activates_at: null,
            remove_at: null,
            private_key_jwe: null,
          })
          .where('kid', '=', kid)
          .execute();
        change.revoked.push(
          toRecord({
            ...row,
            state: 'revoked',
            revoked_at: now,
            activates_at: null,
            remove_at: null,
          }),
        );
        if (row.state === 'active') {
          const next = await trx
            .selectFrom('m2m_signing_keys')
            .selectAll()
            .where('state', '=', 'next')
            .orderBy('created_at')
            .executeTakeFirst();
          if (next !== undefined) {
            if (kek !== undefined) await assertDecryptable(next, kek);
            change.activated.push(await activate(trx, next, now));
          } else if (replacement !== undefined && replacementJwe !== undefined) {
            const fresh = newRow(replacement, replacementJwe, 'active', now, null);
            await trx.insertInto('m2m_signing_keys').values(fresh).execute();
            change.created.push(toRecord(fresh));
            change.activated.push(toRecord(fresh));
          } else {
            throw new StoreError(
              'ERR_ROTATION_PENDING',
              'the keys changed during revocation; retry',
            );
          }
        }
        changed();
        return change;
      });
    },

    async advance(now = ctx.now()): Promise<KeyLifecycleChange> {
      // A key about to become active must decrypt under this process's key-encryption key: resolve
      // it before the transaction (resolving may read the database), and only when a key is due.
      const before = await db.selectFrom('m2m_signing_keys').selectAll().execute();
      let kek: KeyEncryptionKey | undefined;
      let kekError: unknown;
      if (dueTransitions(before.map(toRecord), now).activate.length > 0) {
        try {
          kek = await ctx.keyEncryptionKey();
        } catch (err) {
          kekError = err;
        }
      }
      return writeTransaction(ctx, async (trx, changed) => {
        const change = emptyKeyLifecycleChange();
        const rows = await trx.selectFrom('m2m_signing_keys').selectAll().execute();
        const due = dueTransitions(rows.map(toRecord), now);
        if (due.remove.length > 0) {
          await trx.deleteFrom('m2m_signing_keys').where('kid', 'in', due.remove).execute();
          change.removed.push(...due.remove);
        }
        for (const candidate of due.activate) {
          // Became due after the look above (no key-encryption key was resolved for it): leave it
          // to the next call rather than refuse it without a reason.
          if (kek === undefined && kekError === undefined) break;
          const row = rows.find((r) => r.kid === candidate.kid);
          if (row === undefined) continue;
          const problem = await sealing.activationProblem(row, kek, kekError);
          if (problem !== undefined) {
            change.refused.push({ kid: row.kid, code: problem.code, message: problem.message });
            continue;
          }
          const retired = await retireActive(trx, now);
          if (retired) change.retired.push(retired);
          change.activated.push(await activate(trx, row, now));
          break;
        }
        if (change.removed.length > 0 || change.activated.length > 0) changed();
        return change;
      });
    },
  };
}

async function getRow(executor: Trx | KeyStoreContext['db'], kid: string) {
  return executor
    .selectFrom('m2m_signing_keys')
    .selectAll()
    .where('kid', '=', kid)
    .executeTakeFirst();
}

async function activeRow(executor: Trx | KeyStoreContext['db']) {
  return executor
    .selectFrom('m2m_signing_keys')
    .selectAll()
    .where('state', '=', 'active')
    .executeTakeFirst();
}

function newRow(
  pair: SigningKeyPair,
  jwe: string,
  state: 'active' | 'next',
  now: number,
  activatesAt: number | null,
): SigningKeysTable {
  return {
    kid: pair.kid,
    alg: pair.alg,
    state,
    public_jwk: JSON.stringify(pair.publicJwk),
    private_key_jwe: jwe,
    created_at: now,
    activates_at: state === 'next' ? activatesAt : null,
    activated_at: state === 'active' ? now : null,
    retired_at: null,
    remove_at: null,
    revoked_at: null,
  };
}

function toRecord(row: SigningKeysTable): SigningKeyRecord {
  const num = (value: number | null): number | null => (value === null ? null : Number(value));
  return {
    kid: row.kid,
    alg: row.alg as SigningAlg,
    state: row.state as KeyState,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    createdAt: Number(row.created_at),
    activatesAt: num(row.activates_at),
    activatedAt: num(row.activated_at),
    retiredAt: num(row.retired_at),
    removeAt: num(row.remove_at),
    revokedAt: num(row.revoked_at),
  };
}

function keyNotFound(kid: string): StoreError {
  return new StoreError('ERR_KEY_NOT_FOUND', `no signing key with kid ${JSON.stringify(kid)}`);
}

function unsupportedAlg(alg: unknown): StoreError {
  return new StoreError(
    'ERR_UNSUPPORTED_ALGORITHM',
    `unsupported signing algorithm ${JSON.stringify(alg)}; use one of ${SIGNING_ALGS.join(', ')}`,
  );
}
