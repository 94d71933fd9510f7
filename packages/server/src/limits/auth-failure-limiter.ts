import { createHash } from 'node:crypto';
import { resolvePositiveIntegerOptions } from '../internal/resolve-positive-integer-options.js';
import { addressKey } from './internal/address-key.js';
import { BoundedLruMap } from './internal/bounded-lru-map.js';

/**
 * Limits of failed client authentications at the token endpoint (RFC 6749 §10.10, RFC 6819
 * §5.1.4.2.3). Every count is of *failed* authentications (unknown client_id, wrong or expired
 * secret, revoked client) within a window; a request that is refused by a limit is not counted.
 */
export interface AuthFailureLimitOptions {
  /** Length of the window in which failures are counted, seconds; default 300. */
  windowSec?: number;
  /** How long a limit refuses requests once reached, seconds; default 300. */
  blockSec?: number;
  /**
   * Failures of one client_id from one source address per window; default 10. Reaching it refuses
   * that client_id from that address only — a legitimate client elsewhere is not affected.
   */
  maxPerClientAndAddress?: number;
  /**
   * Failures from one source address per window, whatever the client_id; default 50. Reaching it
   * refuses that address, except for (client_id, address) pairs that authenticated successfully
   * within `trustedPairTtlSec` — so established services behind the same NAT keep working.
   */
  maxPerAddress?: number;
  /**
   * Failures of one client_id per window, whatever the address; default 500 (a distributed
   * attack). Reaching it refuses that client_id, except from addresses where it authenticated
   * successfully within `trustedPairTtlSec` — so the attacker cannot lock the real client out.
   */
  maxPerClient?: number;
  /**
   * How long a successful authentication exempts its (client_id, address) pair from the address
   * and client limits, seconds; default 86400. Longer than any token lifetime, so clients that
   * renew their tokens stay exempt.
   */
  trustedPairTtlSec?: number;
  /**
   * Most entries kept per table (pair, address, client counters; trusted pairs), the least
   * recently updated going first; default 10000. Bounds memory whatever an attacker sends.
   */
  maxEntries?: number;
}

/** Defaults of {@link AuthFailureLimitOptions}. */
export const DEFAULT_AUTH_FAILURE_LIMITS: Readonly<Required<AuthFailureLimitOptions>> =
  Object.freeze({
    windowSec: 300,
    blockSec: 300,
    maxPerClientAndAddress: 10,
    maxPerAddress: 50,
    maxPerClient: 500,
    trustedPairTtlSec: 86_400,
    maxEntries: 10_000,
  });

/** Why a request was refused. */
export type AuthFailureLimitScope = 'client_and_address' | 'address' | 'client';

/** A refusal: which limit, and how long until it ends. */
export interface AuthFailureLimitRefusal {
  scope: AuthFailureLimitScope;
  /** Seconds until the limit ends (at least 1), for `Retry-After` (RFC 9110 §10.2.3). */
  retryAfterSec: number;
}

interface Counter {
  count: number;
  /** End of the counting window, Unix milliseconds. */
  windowEndsMs: number;
  /** End of the block, Unix milliseconds; 0 while not blocked. */
  blockedUntilMs: number;
}

/** client_ids longer than this are counted under a digest, so keys stay small. */
const MAX_CLIENT_KEY_LENGTH = 64;

/**
 * In-memory limiter of failed client authentications, per (client_id, source address), per source
 * address and per client_id, with bounded memory. One instance per server process (limits are not
 * shared between instances: each one enforces its own).
 *
 * Why three levels and the trusted pairs: a limit per client_id alone would let anyone lock a
 * client out by failing on purpose with its client_id; a limit per address alone would lock out
 * every service sharing an address (NAT, a node's egress) with an attacker. So the tight limit is
 * per (client_id, address) — guessing one client's secret from one place — and the address and
 * client_id limits, looser, spare pairs that have proven themselves by authenticating. The residue
 * is documented in SECURITY.md: an attacker sharing a client's own address can delay that client,
 * and a client's first request from an address blocked for others' failures waits for the block.
 *
 * Cost on the success path: a few Map lookups; nothing at all while no failure is being counted.
 *
 * @example
 * ```ts
 * const limiter = new AuthFailureLimiter({ maxPerClientAndAddress: 5 });
 * const refusal = limiter.check(clientId, request.ip, Date.now());
 * if (refusal) reply.header('retry-after', refusal.retryAfterSec).code(429);
 * else if (authenticated) limiter.recordSuccess(clientId, request.ip, Date.now());
 * else limiter.recordFailure(clientId, request.ip, Date.now());
 * ```
 */
export class AuthFailureLimiter {
  readonly #windowMs: number;
  readonly #blockMs: number;
  readonly #trustedMs: number;
  readonly #maxPair: number;
  readonly #maxAddress: number;
  readonly #maxClient: number;
  readonly #pairs: BoundedLruMap<string, Counter>;
  readonly #addresses: BoundedLruMap<string, Counter>;
  readonly #clients: BoundedLruMap<string, Counter>;
  /** Trusted (client_id, address) pairs → end of trust, Unix milliseconds. */
  readonly #trusted: BoundedLruMap<string, number>;

  /**
   * @param options - see {@link AuthFailureLimitOptions}; every field has a default.
   * @throws TypeError when a field is not a positive integer.
   */
  constructor(options: AuthFailureLimitOptions = {}) {
    const settings = resolvePositiveIntegerOptions(
      'authFailureLimit',
      DEFAULT_AUTH_FAILURE_LIMITS,
      options,
    );
    this.#windowMs = settings.windowSec * 1000;
    this.#blockMs = settings.blockSec * 1000;
    this.#trustedMs = settings.trustedPairTtlSec * 1000;
    this.#maxPair = settings.maxPerClientAndAddress;
    this.#maxAddress = settings.maxPerAddress;
    this.#maxClient = settings.maxPerClient;
    this.#pairs = new BoundedLruMap(settings.maxEntries);
    this.#addresses = new BoundedLruMap(settings.maxEntries);
    this.#clients = new BoundedLruMap(settings.maxEntries);
    this.#trusted = new BoundedLruMap(settings.maxEntries);
  }

  /**
   * Whether a request presenting `clientId` from `address` may be authenticated now.
   *
   * @param clientId - the presented client_id (any string; long ones are counted by digest).
   * @param address - the source address (IPv6 is counted per /64).
   * @param nowMs - current time, Unix milliseconds.
   * @returns undefined to go ahead, or the limit that refuses it and for how long.
   */
  check(clientId: string, address: string, nowMs: number): AuthFailureLimitRefusal | undefined {
    // Fast path: no failure counted anywhere, nothing to look up.
    if (this.#pairs.size === 0 && this.#addresses.size === 0 && this.#clients.size === 0) {
      return undefined;
    }
    const client = clientKey(clientId);
    const where = addressKey(address);
    const pair = `${client}\n${where}`;
    const pairBlock = blockedFor(this.#pairs, pair, nowMs);
    if (pairBlock > 0) return refusal('client_and_address', pairBlock);
    if ((this.#trusted.get(pair) ?? 0) > nowMs) return undefined;
    const addressBlock = blockedFor(this.#addresses, where, nowMs);
    if (addressBlock > 0) return refusal('address', addressBlock);
    const clientBlock = blockedFor(this.#clients, client, nowMs);
    if (clientBlock > 0) return refusal('client', clientBlock);
    return undefined;
  }

  /** Counts a failed authentication of `clientId` from `address`. */
  recordFailure(clientId: string, address: string, nowMs: number): void {
    const client = clientKey(clientId);
    const where = addressKey(address);
    this.#count(this.#pairs, `${client}\n${where}`, this.#maxPair, nowMs);
    this.#count(this.#addresses, where, this.#maxAddress, nowMs);
    this.#count(this.#clients, client, this.#maxClient, nowMs);
  }

  /**
   * Records a successful authentication: the pair's failure count is cleared and the pair is
   * trusted (exempt from the address and client limits) for `trustedPairTtlSec`.
   */
  recordSuccess(clientId: string, address: string, nowMs: number): void {
    const pair = `${clientKey(clientId)}\n${addressKey(address)}`;
    if (this.#pairs.size > 0) this.#pairs.delete(pair);
    const trustedUntil = this.#trusted.get(pair);
    // Refreshed at most once a minute per pair: the success path stays a single lookup.
    if (trustedUntil === undefined || trustedUntil - nowMs < this.#trustedMs - 60_000) {
      this.#trusted.set(pair, nowMs + this.#trustedMs);
    }
  }

  #count(table: BoundedLruMap<string, Counter>, key: string, max: number, nowMs: number): void {
    let counter = table.get(key);
    if (
      counter === undefined ||
      (counter.windowEndsMs <= nowMs && counter.blockedUntilMs <= nowMs)
    ) {
      counter = { count: 0, windowEndsMs: nowMs + this.#windowMs, blockedUntilMs: 0 };
    }
    counter.count += 1;
    if (counter.count >= max && counter.blockedUntilMs <= nowMs) {
      counter.blockedUntilMs = nowMs + this.#blockMs;
    }
    table.set(key, counter);
  }
}

/** Milliseconds left of a block on `key`, or 0; drops counters whose window and block are over. */
function blockedFor(table: BoundedLruMap<string, Counter>, key: string, nowMs: number): number {
  const counter = table.get(key);
  if (counter === undefined) return 0;
  if (counter.blockedUntilMs > nowMs) return counter.blockedUntilMs - nowMs;
  if (counter.windowEndsMs <= nowMs) table.delete(key);
  return 0;
}

function refusal(scope: AuthFailureLimitScope, remainingMs: number): AuthFailureLimitRefusal {
  return { scope, retryAfterSec: Math.max(1, Math.ceil(remainingMs / 1000)) };
}

function clientKey(clientId: string): string {
  if (clientId.length <= MAX_CLIENT_KEY_LENGTH) return clientId;
  return `sha256:${createHash('sha256').update(clientId, 'utf8').digest('base64url')}`;
}
