/**
 * The signing-key lifecycle as rules, without I/O or timers: which states a key passes through
 * (`next` → `active` → `retired` → removed, or `revoked` at any time), what is due at a given time,
 * when the next transition happens, and how long a new key must be published before it signs.
 * The key store persists what these rules decide, the rotation schedule runs them on a timer and
 * the HTTP layer's cache reads when its view expires. All times are Unix seconds.
 */
import { StoreError } from '../store/store-error.js';
import { DEFAULT_TOKEN_TTL_SEC } from '../tokens/token-lifetime.js';
import type { SigningKeyRecord } from './key-store.js';

/**
 * Default delay between publishing a `next` key and signing with it, seconds. It must be at least
 * the JWKS cache lifetime the server advertises (plus the verifiers' refresh interval), so every
 * verifier holds the new key before the first token carries its kid.
 */
export const DEFAULT_PROPAGATION_SEC = 600;

/** Longest propagation delay a rotation accepts, seconds (30 days). */
export const MAX_PROPAGATION_SEC = 30 * 86_400;

/**
 * Extra time a `retired` key stays published after the longest token it can have signed expires,
 * seconds: verifiers' clock tolerance (60 s) plus the time other server instances may take to
 * notice the rotation and stop signing with it, with room to spare.
 */
export const RETIRED_KEY_MARGIN_SEC = 120;

/** What the lifecycle rules read of a key (a {@link SigningKeyRecord} fits). */
export type KeyTimes = Pick<
  SigningKeyRecord,
  'kid' | 'alg' | 'state' | 'createdAt' | 'activatesAt' | 'activatedAt' | 'removeAt'
>;

/**
 * When a key retired at `retiredAt` may leave the JWKS: after every token it signed has expired.
 *
 * @param retiredAt Unix seconds
 * @param maxTokenTtlSec the longest access-token lifetime of any client, seconds
 */
export function retiredKeyRemoveAt(retiredAt: number, maxTokenTtlSec: number): number {
  return retiredAt + Math.max(maxTokenTtlSec, DEFAULT_TOKEN_TTL_SEC) + RETIRED_KEY_MARGIN_SEC;
}

/** Since when a key has signed: its activation time, or its creation for a key made active. */
export function activeSince(key: KeyTimes): number {
  return key.activatedAt ?? key.createdAt;
}

/** Whether a key belongs in the JWKS at `now`: `next`, `active`, and `retired` before `removeAt`. */
export function isPublished(key: KeyTimes, now: number): boolean {
  if (key.state === 'next' || key.state === 'active') return true;
  return key.state === 'retired' && (key.removeAt === null || key.removeAt > now);
}

/** The transitions due at a time; see {@link dueTransitions}. */
export interface DueTransitions<K extends KeyTimes = KeyTimes> {
  /** kids of `retired` keys whose `removeAt` has passed: no token they signed is still valid. */
  remove: string[];
  /**
   * `next` keys that may become `active`, best first (the earliest `activatesAt`, undated keys
   * first, then the oldest): the first one this process can decrypt is activated, one per call.
   * With no active key every waiting key is a candidate (something must sign).
   */
  activate: K[];
}

/**
 * What is due at `now`.
 *
 * @param refused kids this process already refused to activate (it cannot decrypt them); they are
 *   not candidates again
 */
export function dueTransitions<K extends KeyTimes>(
  keys: readonly K[],
  now: number,
  refused: ReadonlySet<string> = new Set(),
): DueTransitions<K> {
  const hasActive = keys.some((key) => key.state === 'active');
  const remove = keys
    .filter((key) => key.state === 'retired' && key.removeAt !== null && key.removeAt <= now)
    .map((key) => key.kid);
  const activate = keys
    .filter(
      (key) =>
        key.state === 'next' &&
        !refused.has(key.kid) &&
        (!hasActive || (key.activatesAt !== null && key.activatesAt <= now)),
    )
    .sort(
      (a, b) =>
        (a.activatesAt ?? Number.NEGATIVE_INFINITY) - (b.activatesAt ?? Number.NEGATIVE_INFINITY) ||
        a.createdAt - b.createdAt ||
        (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0),
    );
  return { remove, activate };
}

/** Whether anything is due at `now` (see {@link dueTransitions}). */
export function isTransitionDue(
  keys: readonly KeyTimes[],
  now: number,
  refused: ReadonlySet<string> = new Set(),
): boolean {
  const due = dueTransitions(keys, now, refused);
  return due.remove.length > 0 || due.activate.length > 0;
}

/** The `next` key created first, if any. */
export function oldestNext<K extends KeyTimes>(keys: readonly K[]): K | undefined {
  return keys.filter((key) => key.state === 'next').sort((a, b) => a.createdAt - b.createdAt)[0];
}

/**
 * Whether a guarded rotation (`ifActiveOlderThanSec`, as the schedule asks) goes ahead: never
 * while a `next` key waits; always without an active key; else once the active key has signed
 * that long. Without a guard a rotation always goes ahead.
 */
export function isGuardedRotationDue(
  keys: readonly KeyTimes[],
  ifActiveOlderThanSec: number | undefined,
  now: number,
): boolean {
  if (ifActiveOlderThanSec === undefined) return true;
  if (keys.some((key) => key.state === 'next')) return false;
  const active = keys.find((key) => key.state === 'active');
  if (active === undefined) return true;
  return activeSince(active) + ifActiveOlderThanSec <= now;
}

/**
 * Why a rotation cannot go ahead while `next` waits, if it cannot: another algorithm was asked
 * for, or the waiting key already has its activation time and the rotation is not immediate.
 */
export function pendingRotationError(
  next: KeyTimes,
  options: { alg?: string },
  activateNow: boolean,
): StoreError | undefined {
  if (options.alg !== undefined && options.alg !== next.alg) {
    return new StoreError(
      'ERR_ROTATION_PENDING',
      `key ${next.kid} (${next.alg}) is already waiting to become active; revoke it first to rotate to ${options.alg}`,
    );
  }
  if (!activateNow && next.activatesAt !== null) {
    return new StoreError(
      'ERR_ROTATION_PENDING',
      `key ${next.kid} already becomes active at ${new Date(next.activatesAt * 1000).toISOString().replace('.000Z', 'Z')}; use --now to activate it at once`,
    );
  }
  return undefined;
}

/**
 * What a rotation schedule of `rotateEverySec` must do at `now`: `'rotate'` (start one, guarded),
 * `'schedule'` (give the waiting undated `next` key its activation time), or undefined (not yet,
 * or a rotation is under way).
 */
export function scheduledRotationDue(
  keys: readonly KeyTimes[],
  rotateEverySec: number,
  now: number,
): 'rotate' | 'schedule' | undefined {
  const next = keys.filter((key) => key.state === 'next');
  if (next.some((key) => key.activatesAt !== null)) return undefined;
  const active = keys.find((key) => key.state === 'active');
  if (active !== undefined && activeSince(active) + rotateEverySec > now) return undefined;
  if (next.length > 0) return active === undefined ? undefined : 'schedule';
  return 'rotate';
}

/**
 * The next time at which a step is due: a dated `next` key's activation (unless refused), a
 * retired key's removal, or — with a rotation schedule and no rotation under way — the active
 * key reaching `rotateEverySec`. Undefined when nothing is scheduled. May be in the past (a step
 * that is due and not yet done).
 */
export function nextTransitionAt(
  keys: readonly KeyTimes[],
  options: { rotateEverySec?: number; refused?: ReadonlySet<string> } = {},
): number | undefined {
  const refused = options.refused ?? new Set<string>();
  let due = Number.POSITIVE_INFINITY;
  let pending = false;
  for (const key of keys) {
    if (key.state === 'next' && key.activatesAt !== null) {
      pending = true;
      if (!refused.has(key.kid)) due = Math.min(due, key.activatesAt);
    }
    if (key.state === 'retired' && key.removeAt !== null) due = Math.min(due, key.removeAt);
  }
  const active = keys.find((key) => key.state === 'active');
  if (!pending && active !== undefined && options.rotateEverySec !== undefined) {
    due = Math.min(due, activeSince(active) + options.rotateEverySec);
  }
  return Number.isFinite(due) ? due : undefined;
}

/**
 * The earliest time after `now` at which the published set or the active key changes by time
 * alone (a removal or an activation); `Infinity` when none is scheduled. A view of the keys
 * read at `now` holds until then.
 */
export function nextPublishedChangeAt(keys: readonly KeyTimes[], now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const key of keys) {
    for (const at of [key.removeAt, key.activatesAt]) {
      if (at !== null && at > now && at < next) next = at;
    }
  }
  return next;
}

/** Inputs of {@link propagationPolicy}, seconds. */
export interface PropagationPolicyInput {
  /** How often the active key is replaced (`--rotate-every`); undefined: no schedule. */
  rotateEverySec?: number;
  /** The delay asked for (`--propagation`); undefined: the default below. */
  propagationSec?: number;
  /** How long verifiers may hold the JWKS (`--jwks-max-age`). */
  jwksMaxAgeSec: number;
}

/** What {@link propagationPolicy} decided. */
export interface PropagationPolicy {
  /** Seconds between publishing a `next` key and signing with it. */
  propagationSec: number;
  /** One line each (naming the serve flags), for settings that work but will hurt. */
  warnings: string[];
}

/**
 * How long a new key is published before it signs, and what is risky about a rotation schedule.
 * Verifiers may hold the JWKS for its max-age: the next key must be published that long before
 * it signs; the default is twice that (room for a fetch that started just before), at least
 * {@link DEFAULT_PROPAGATION_SEC}. A retired key stays published until every token it signed has
 * expired, so rotating faster than that grows the JWKS.
 */
export function propagationPolicy(input: PropagationPolicyInput): PropagationPolicy {
  const { rotateEverySec, jwksMaxAgeSec } = input;
  const propagationSec =
    input.propagationSec ?? Math.max(DEFAULT_PROPAGATION_SEC, 2 * jwksMaxAgeSec);
  const warnings: string[] = [];
  if (rotateEverySec !== undefined && propagationSec < jwksMaxAgeSec) {
    warnings.push(
      `--propagation ${propagationSec} is shorter than --jwks-max-age ${jwksMaxAgeSec}: verifiers may see tokens signed by a key they have not fetched yet`,
    );
  }
  const retiredForSec = retiredKeyRemoveAt(0, 0);
  if (rotateEverySec !== undefined && rotateEverySec < retiredForSec) {
    const published = 2 + Math.ceil(retiredForSec / rotateEverySec);
    warnings.push(
      `--rotate-every ${rotateEverySec} s is shorter than the ${retiredForSec} s or more a retired key stays published: the JWKS will hold about ${published} keys (@m2m-auth/verifier reads at most 100); outside tests, rotate every few days or weeks`,
    );
  }
  return { propagationSec, warnings };
}
