import type { JSONWebKeySet } from 'jose';
import type { Store } from '../../app/store.js';
import type { ClientCredentials, ClientSecretHash } from '../../clients/client-store.js';
import { AuthServerError } from '../../errors/auth-server-error.js';
import { buildJwks } from '../../keys/build-jwks.js';
import type { DueKeyTransitions } from '../../keys/due-key-transitions.js';
import { importSigningKey } from '../../keys/import-signing-key.js';
import { nextPublishedChangeAt } from '../../keys/key-lifecycle.js';
import type { RefusedActivation } from '../../keys/key-store.js';
import type { RevocationList } from '../../revocations/revocation-store.js';
import { StoreError, type StoreErrorCode } from '../../store/store-error.js';
import type { AccessTokenSigningKey } from '../../tokens/issue-access-token.js';

/** The minimal logger the cache reports reloads and failures to. */
export interface CacheLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How the cache notices changes made by the CLI or other instances. */
export interface StoreCacheOptions {
  /**
   * 0: read `store.revision()` before every token request (a revocation is effective for the very
   * next request; cheap on SQLite). Above 0: read it in the background every that many
   * milliseconds, so a change takes effect within that bound (PostgreSQL, several instances).
   */
  revisionCheckIntervalMs: number;
  /**
   * Interval mode only: how old the last successful revision check may be, milliseconds, before
   * requests stop trusting the cache and wait for a check of their own (a 503 if the database does
   * not answer). This is what bounds propagation when an instance loses its database while others
   * (or the CLI) still reach it. Default: {@link DEFAULT_MAX_STALE_MS}, or twice the interval if
   * that is longer.
   */
  maxStaleMs?: number;
  logger: CacheLogger;
  /**
   * What applies due key transitions (the composition root's {@link DueKeyTransitions}): asked to
   * run before keys are loaded at start and whenever time alone ends a key snapshot. Without it
   * the cache reads the keys as they are (another process advances them).
   */
  keyTransitions?: Pick<DueKeyTransitions, 'apply' | 'settle' | 'refused'>;
}

/** Default of {@link StoreCacheOptions.maxStaleMs}, milliseconds. */
export const DEFAULT_MAX_STALE_MS = 5_000;

/** Keys as of one load: the active one imported, and the published set. */
interface KeySnapshot {
  signingKey: AccessTokenSigningKey | undefined;
  jwks: JSONWebKeySet;
  /** Unix seconds at which time alone changes the published set (a retired key leaves). */
  validUntilSec: number;
}

/** Everything derived from one store revision; replaced wholesale when the revision moves. */
interface Generation {
  revision: number;
  /** Every client by client_id, loaded whole (see findClient). */
  clients: Promise<ReadonlyMap<string, ClientCredentials>> | undefined;
  keys: Promise<KeySnapshot> | undefined;
  scopes: Promise<string[]> | undefined;
  revocations: Promise<RevocationSnapshot> | undefined;
}

/** The revocation list as of one load, until time alone drops an entry from it. */
interface RevocationSnapshot {
  list: RevocationList;
  /** Unix seconds at which the first entry expires (the list must be read again). */
  validUntilSec: number;
}

/**
 * In-memory view of the store for the HTTP layer: clients, the imported signing key, the JWKS and
 * the scope list, each loaded once and dropped when `store.revision()` moves. Issuing a token thus
 * costs no query beyond the revision check (and none at all with an interval).
 */
export class StoreCache {
  readonly #store: Store;
  readonly #options: StoreCacheOptions;
  readonly #maxStaleMs: number;
  #generation: Generation;
  /** `Date.now()` when the last successful revision check started. */
  #freshAt = Number.NEGATIVE_INFINITY;
  /** `Date.now()` of the first failed check of the current outage; undefined while all is well. */
  #failingSince: number | undefined;
  #failedChecks = 0;
  /** Imported private keys by kid, so a reload that keeps the same active key does not re-import. */
  #imported = new Map<string, Promise<AccessTokenSigningKey>>();
  #checking: Promise<void> | undefined;
  #nextCheck: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Set at start and when time alone ends a key snapshot: have due key transitions applied first. */
  #transitionsDue = true;

  constructor(store: Store, options: StoreCacheOptions) {
    this.#store = store;
    this.#options = options;
    this.#maxStaleMs =
      options.maxStaleMs ?? Math.max(DEFAULT_MAX_STALE_MS, 2 * options.revisionCheckIntervalMs);
    this.#generation = newGeneration(Number.NaN);
  }

  /**
   * How old the instance's view of the store is, milliseconds: the time since the last successful
   * revision check started (Infinity before the first).
   */
  viewAgeMs(): number {
    return Date.now() - this.#freshAt;
  }

  /** Revision checks that failed since start (database errors, for metrics). */
  get failedChecks(): number {
    return this.#failedChecks;
  }

  /** How old the view may be before requests stop trusting it, milliseconds. */
  get maxStaleMs(): number {
    return this.#maxStaleMs;
  }

  /** Loads the revision and starts the background check when an interval is set. */
  async start(): Promise<void> {
    await this.#check();
    const interval = this.#options.revisionCheckIntervalMs;
    if (interval > 0 && this.#timer === undefined) {
      this.#timer = setInterval(() => {
        // A failure is logged by #check (once per outage) and surfaces to requests through
        // ensureFresh once the cache is older than maxStaleMs.
        if (this.#checking === undefined) this.#startCheck().catch(() => {});
      }, interval);
      this.#timer.unref();
    }
  }

  /**
   * Stops the background check and waits for one already running, so that closing the store
   * afterwards cannot fail it (and log a database outage) in the middle of a clean shutdown.
   */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking?.catch(() => {});
  }

  /**
   * Makes sure the cache reflects every change committed before this call (interval 0), or
   * returns at once (interval mode: the timer keeps the cache within the bound) unless the last
   * successful check is older than `maxStaleMs`; then it checks now, like interval 0.
   *
   * @throws {AuthServerError} `ERR_STORE_UNAVAILABLE` (through the promise) when the check fails.
   */
  ensureFresh(): Promise<void> | undefined {
    if (
      this.#options.revisionCheckIntervalMs > 0 &&
      Date.now() - this.#freshAt <= this.#maxStaleMs
    ) {
      return undefined;
    }
    if (this.#checking === undefined) return this.#startCheck();
    // A check is running, but it may have read the revision before this request arrived: wait for
    // the next one. Requests arriving meanwhile share it, so the database sees at most one revision
    // query in flight whatever the concurrency.
    if (this.#nextCheck === undefined) {
      const rerun = (): Promise<void> => {
        this.#nextCheck = undefined;
        return this.ensureFresh() ?? Promise.resolve();
      };
      this.#nextCheck = this.#checking.then(rerun, rerun);
    }
    return this.#nextCheck;
  }

  /** Runs a check that concurrent callers share (see ensureFresh). */
  #startCheck(): Promise<void> {
    const checking = this.#check().finally(() => {
      if (this.#checking === checking) this.#checking = undefined;
    });
    this.#checking = checking;
    return checking;
  }

  /** Reads the revision now, whatever the interval, and drops the cache if it moved. */
  refresh(): Promise<void> {
    return this.#check();
  }

  /**
   * Replaces a client's legacy secret hash in the store (see ClientStore.replaceSecretHash); the
   * revision it moves drops this cache, so the next request reads the new hash.
   */
  async replaceSecretHash(
    clientId: string,
    from: Pick<ClientSecretHash, 'scheme' | 'hash'>,
    to: ClientSecretHash,
  ): Promise<boolean> {
    const replaced = await this.#store.clients.replaceSecretHash(clientId, from, to);
    if (replaced) await this.refresh();
    return replaced;
  }

  /**
   * The client and its secret hashes, or undefined for an unknown client_id.
   *
   * The whole client table is loaded once per store revision and every lookup is a read of that
   * map: a known, a revoked and an unknown client_id take the same path, with no query and nothing
   * cached per presented id (a per-id cache would answer faster for ids seen recently, telling a
   * prober which client_ids are in use, and would hold whatever ids an attacker sends).
   */
  async findClient(clientId: string): Promise<ClientCredentials | undefined> {
    return (await this.#clients()).get(clientId);
  }

  #clients(): Promise<ReadonlyMap<string, ClientCredentials>> {
    const generation = this.#generation;
    if (generation.clients === undefined) {
      const loading = this.#store.clients.listCredentials().then((all) => {
        const byId = new Map<string, ClientCredentials>();
        for (const credentials of all) byId.set(credentials.client.clientId, credentials);
        return byId;
      }, storeUnavailable);
      generation.clients = loading;
      // Do not keep a failed load (database down): the next request tries again.
      loading.catch(() => {
        if (generation.clients === loading) generation.clients = undefined;
      });
    }
    return generation.clients;
  }

  /** The imported active signing key, or undefined when the store has none. */
  async signingKey(nowSec: number): Promise<AccessTokenSigningKey | undefined> {
    return (await this.#keys(nowSec)).signingKey;
  }

  /**
   * The due activations this instance refused because it cannot decrypt the key (a key written
   * under another key-encryption key), as of the last key load; empty when all is well.
   */
  refusedActivations(): RefusedActivation[] {
    return this.#options.keyTransitions?.refused() ?? [];
  }

  /** The JWK Set of every published key (RFC 7517 §5). */
  async jwks(nowSec: number): Promise<JSONWebKeySet> {
    return (await this.#keys(nowSec)).jwks;
  }

  /** Union of the scopes of every non-revoked client, sorted (RFC 8414 `scopes_supported`). */
  scopesSupported(): Promise<string[]> {
    const generation = this.#generation;
    if (generation.scopes === undefined) {
      const loading = this.#store.clients.list().then((clients) => {
        const scopes = new Set<string>();
        for (const client of clients) {
          if (client.revokedAt === null) for (const scope of client.scopes) scopes.add(scope);
        }
        return [...scopes].sort();
      }, storeUnavailable);
      generation.scopes = loading;
      loading.catch(() => {
        if (generation.scopes === loading) generation.scopes = undefined;
      });
    }
    return generation.scopes;
  }

  /**
   * Revoked clients and tokens still within a token's lifetime (the revocation feed), loaded once
   * per revision and again when an entry expires. The same object is returned while it holds.
   */
  async revocations(nowSec: number): Promise<RevocationList> {
    const generation = this.#generation;
    let loading = generation.revocations;
    if (loading !== undefined) {
      const snapshot = await loading;
      if (nowSec < snapshot.validUntilSec) return snapshot.list;
      if (generation.revocations === loading) generation.revocations = undefined;
    }
    loading = generation.revocations;
    if (loading === undefined) {
      loading = this.#store.revocations.list(nowSec).then((list) => {
        let validUntilSec = Number.POSITIVE_INFINITY;
        for (const entry of list.clients) validUntilSec = Math.min(validUntilSec, entry.expiresAt);
        for (const entry of list.tokens) validUntilSec = Math.min(validUntilSec, entry.expiresAt);
        return { list, validUntilSec };
      }, storeUnavailable);
      generation.revocations = loading;
      const current = loading;
      current.catch(() => {
        if (generation.revocations === current) generation.revocations = undefined;
      });
    }
    return (await loading).list;
  }

  async #keys(nowSec: number): Promise<KeySnapshot> {
    const generation = this.#generation;
    let loading = generation.keys;
    if (loading !== undefined) {
      const snapshot = await loading;
      if (nowSec < snapshot.validUntilSec) return snapshot;
      if (generation.keys === loading) {
        generation.keys = undefined;
        this.#transitionsDue = true;
      }
    }
    loading = generation.keys;
    if (loading === undefined) {
      loading = this.#loadKeys(nowSec);
      generation.keys = loading;
      loading.catch(() => {
        if (generation.keys === loading) generation.keys = undefined;
      });
    }
    return loading;
  }

  async #loadKeys(nowSec: number): Promise<KeySnapshot> {
    if (this.#transitionsDue) {
      this.#transitionsDue = false;
      // A long-running server must apply due transitions itself (the CLI does before each
      // command); the composition root decides how, this only asks at the right moment.
      await this.#options.keyTransitions?.apply(nowSec);
    }
    const [published, material] = await Promise.all([
      this.#store.keys.published(nowSec),
      this.#store.keys.active(),
    ]).catch(storeUnavailable);
    this.#options.keyTransitions?.settle(published);
    let signingKey: AccessTokenSigningKey | undefined;
    if (material !== undefined) {
      let imported = this.#imported.get(material.kid);
      if (imported === undefined) {
        imported = importSigningKey(material).then((key) => ({
          kid: material.kid,
          alg: material.alg,
          key,
        }));
        // Only the active key is ever used for signing: forget the others' private material.
        this.#imported = new Map([[material.kid, imported]]);
        imported.catch(() => this.#imported.delete(material.kid));
      }
      signingKey = await imported;
    }
    this.#options.logger.debug(
      { kid: signingKey?.kid, published: published.length },
      'signing keys loaded',
    );
    return {
      signingKey,
      jwks: buildJwks(published),
      validUntilSec: nextPublishedChangeAt(published, nowSec),
    };
  }

  async #check(): Promise<void> {
    const startedAt = Date.now();
    let revision: number;
    try {
      revision = await this.#store.revision();
    } catch (err) {
      this.#failedChecks += 1;
      this.#noteFailure(err);
      storeUnavailable(err);
    }
    if (this.#failingSince !== undefined) {
      this.#options.logger.info(
        { outageMs: Date.now() - this.#failingSince },
        'the database answers again',
      );
      this.#failingSince = undefined;
    }
    if (startedAt > this.#freshAt) this.#freshAt = startedAt;
    if (revision !== this.#generation.revision) {
      this.#options.logger.debug({ revision }, 'store revision changed; cache dropped');
      this.#generation = newGeneration(revision);
    }
  }

  /** Logs the first failure of an outage as an error, and later ones (one per check) at debug. */
  #noteFailure(err: unknown): void {
    if (this.#failingSince === undefined) {
      this.#failingSince = Date.now();
      this.#options.logger.error(
        { err, maxStaleMs: this.#maxStaleMs },
        'the database does not answer: requests that need it get 503 until it does, all requests once the cache is older than maxStaleMs',
      );
    } else {
      this.#options.logger.debug({ err }, 'store revision check failed again');
    }
  }
}

/** Store failures that are configuration faults, not outages: they stay 500s. */
const CONFIGURATION_FAULTS: ReadonlySet<StoreErrorCode> = new Set<StoreErrorCode>([
  'ERR_INVALID_KEK',
  'ERR_KEK_REQUIRED',
  'ERR_KEK_FILE_INSECURE',
  'ERR_KEK_MISMATCH',
  'ERR_KEY_DECRYPTION_FAILED',
]);

/**
 * A failed read of the store (database down, restarting, unreachable) is a 503 the caller may
 * retry, not a 500; the original error stays the private cause.
 */
function storeUnavailable(err: unknown): never {
  if (err instanceof StoreError && CONFIGURATION_FAULTS.has(err.code)) throw err;
  if (err instanceof AuthServerError) throw err;
  throw new AuthServerError('ERR_STORE_UNAVAILABLE', { cause: err });
}

function newGeneration(revision: number): Generation {
  return {
    revision,
    clients: undefined,
    keys: undefined,
    scopes: undefined,
    revocations: undefined,
  };
}
