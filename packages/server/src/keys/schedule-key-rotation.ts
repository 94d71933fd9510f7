import { StoreError } from '../store/store-error.js';
import type { SigningAlg } from '../tokens/token-types.js';
import { emptyKeyLifecycleChange } from './internal/empty-key-lifecycle-change.js';
import {
  DEFAULT_PROPAGATION_SEC,
  isTransitionDue,
  MAX_PROPAGATION_SEC,
  nextTransitionAt,
  scheduledRotationDue,
} from './key-lifecycle.js';
import type { KeyLifecycleChange, KeyStore, SigningKeyRecord } from './key-store.js';
import { isSigningAlg } from './signing-key-pair.js';

/** Where a {@link KeyRotationSchedule} reports what it did (a pino or Fastify logger fits). */
export interface KeyRotationLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link scheduleKeyRotation}. */
export interface KeyRotationScheduleOptions {
  /**
   * Age of the active key, seconds, at which a new rotation starts (e.g. `2_592_000` for 30
   * days): a `next` key is published then, and signs `propagationSec` later. Required, ≥ 1.
   */
  rotateEverySec: number;
  /**
   * Seconds between publishing the next key and signing with it; default 600
   * (`DEFAULT_PROPAGATION_SEC`), at most 30 days. Must be at least the JWKS max-age the server
   * advertises (verifiers fetch the new key within it), and for receivers that read an exported key
   * file, the export cadence plus their `keyFileRefreshSec`.
   */
  propagationSec?: number;
  /** Algorithm of new keys; default: that of the active key. */
  alg?: SigningAlg;
  /**
   * Longest wait between two looks at the keys, milliseconds; default 60 000. Steps run at their
   * due time; this bounds how late the schedule notices a change made elsewhere (a `keys rotate`
   * with another propagation delay, a revocation), and how soon it retries after a database error.
   */
  maxCheckIntervalMs?: number;
  /** Receives one line per change made by this instance, and failures. Default: none. */
  logger?: KeyRotationLogger;
  /** Called with every change this instance made (never with an empty one). */
  onChange?: (change: KeyLifecycleChange) => void;
}

/** A running rotation schedule; see {@link scheduleKeyRotation}. */
export interface KeyRotationSchedule {
  /**
   * Runs one step now (after a step in flight, if any): applies due transitions and starts a
   * rotation if the active key is old enough.
   *
   * @returns what this instance changed; empty when nothing was due or another instance acted.
   * @throws {StoreError} when the database fails (the timer goes on regardless).
   */
  runNow(): Promise<KeyLifecycleChange>;
  /** Stops the timer; resolves once a step in flight has finished. Idempotent. */
  stop(): Promise<void>;
}

/** Default of {@link KeyRotationScheduleOptions.maxCheckIntervalMs}, milliseconds. */
export const DEFAULT_ROTATION_CHECK_INTERVAL_MS = 60_000;

/** After a failed step, the next attempt waits this long at most, milliseconds. */
const RETRY_AFTER_FAILURE_MS = 10_000;

/**
 * Rotates the signing key on a schedule: every `rotateEverySec` a `next` key is published, it
 * becomes `active` after `propagationSec` (the old key becomes `retired`), and retired keys leave
 * the JWKS once every token they signed has expired. Each step runs at its due time on an
 * unreferenced timer, so the schedule never keeps the process alive.
 *
 * Run it on every instance: the steps are guarded by the database (`store.keys.rotate` with
 * `ifActiveOlderThanSec`, and `store.keys.advance`, in serialized transactions), so however many
 * instances share the database, exactly one performs each step and the others see it done.
 * `m2m-auth serve --rotate-every 30d` starts one.
 *
 * @param store an open store (left open by `stop()`)
 * @param options see {@link KeyRotationScheduleOptions}; `rotateEverySec` required
 * @returns the schedule; its first step runs at once
 * @throws TypeError for a misused option (non-integer or out-of-range durations, unknown `alg`)
 * @example
 * ```ts
 * const store = await openStore({ databaseUrl: process.env.DATABASE_URL });
 * const schedule = scheduleKeyRotation(store, {
 *   rotateEverySec: 30 * 86_400,
 *   propagationSec: 600,
 *   logger: app.log,
 * });
 * // at shutdown
 * await schedule.stop();
 * ```
 * @see RFC 7517 §5 (JWK Set), RFC 7515 §4.1.4 (kid): keys are published before they sign.
 */
export function scheduleKeyRotation(
  store: { readonly keys: KeyStore },
  options: KeyRotationScheduleOptions,
): KeyRotationSchedule {
  const settings = checkOptions(options);
  const { rotateEverySec, propagationSec, alg, maxCheckIntervalMs, logger, onChange } = settings;
  // The store's default clock: the store decides in its transactions, this only decides when to
  // ask (fake timers apply to both).
  const clock = () => Math.floor(Date.now() / 1000);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let failing = false;
  /** kids already reported as waiting without an activation time, so each is warned about once. */
  const undatedWarned = new Set<string>();
  /**
   * kids of due keys this instance refused to activate (it cannot decrypt them): reported once, and
   * not retried every second; a restart (with the right key-encryption key) tries again.
   */
  const refusedKids = new Set<string>();

  /** One look at the keys and the steps that are due; returns when to look again (Unix s). */
  async function step(): Promise<{ change: KeyLifecycleChange; nextDueSec: number | undefined }> {
    const now = clock();
    const change = emptyKeyLifecycleChange();
    let keys = await store.keys.list();

    if (isTransitionDue(keys, now, refusedKids)) {
      addChange(change, await store.keys.advance());
      keys = await store.keys.list();
    }

    const rotation = scheduledRotationDue(keys, rotateEverySec, now);
    if (rotation === 'rotate') {
      const rotated = await store.keys.rotate({
        ifActiveOlderThanSec: rotateEverySec,
        propagationSec,
        ...(alg === undefined ? {} : { alg }),
      });
      addChange(change, rotated);
      keys = await store.keys.list();
    } else if (rotation === 'schedule') {
      // A `next` key without an activation time (`keys generate` while a key was active, or the
      // loser of two instances starting on an empty database) would block the guarded rotation
      // forever: schedule it instead, as `keys rotate` would. Its algorithm is kept.
      try {
        addChange(change, await store.keys.rotate({ propagationSec }));
      } catch (err) {
        // Another instance scheduled it between our read and our transaction.
        if (!(err instanceof StoreError && err.code === 'ERR_ROTATION_PENDING')) throw err;
      }
      keys = await store.keys.list();
    }

    // With a zero propagation delay the key just published is due at once.
    if (isTransitionDue(keys, clock(), refusedKids)) {
      addChange(change, await store.keys.advance());
      keys = await store.keys.list();
    }
    warnUndated(keys);
    for (const refused of change.refused) {
      if (refusedKids.has(refused.kid)) continue;
      refusedKids.add(refused.kid);
      logger?.error(
        { kid: refused.kid, code: refused.code, reason: refused.message },
        'scheduled key rotation: activation refused, this instance cannot decrypt the key (check M2M_AUTH_KEK); the current key keeps signing',
      );
    }
    return { change, nextDueSec: nextTransitionAt(keys, { rotateEverySec, refused: refusedKids }) };
  }

  function warnUndated(keys: readonly SigningKeyRecord[]): void {
    for (const key of keys) {
      if (key.state === 'next' && key.activatesAt === null && !undatedWarned.has(key.kid)) {
        undatedWarned.add(key.kid);
        logger?.info(
          { kid: key.kid, alg: key.alg },
          'a next signing key waits without an activation time: the scheduled rotation makes it the next key when the active key is due',
        );
      }
    }
  }

  function report(change: KeyLifecycleChange): void {
    if (!hasChanges(change)) return;
    for (const key of change.created) {
      logger?.info(
        { kid: key.kid, alg: key.alg, state: key.state, activatesAt: key.activatesAt },
        'scheduled key rotation: next signing key published',
      );
    }
    for (const key of change.scheduled) {
      if (change.created.some((created) => created.kid === key.kid)) continue;
      logger?.info(
        { kid: key.kid, alg: key.alg, activatesAt: key.activatesAt },
        'scheduled key rotation: waiting next key scheduled',
      );
    }
    for (const key of change.activated) {
      logger?.info(
        { kid: key.kid, retired: change.retired.map((retired) => retired.kid) },
        'scheduled key rotation: signing key activated',
      );
    }
    if (change.removed.length > 0) {
      logger?.info(
        { removed: change.removed },
        'scheduled key rotation: retired signing keys removed from the JWKS',
      );
    }
    onChange?.(change);
  }

  function run(): Promise<KeyLifecycleChange> {
    const result = running.then(async () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      let outcome: Awaited<ReturnType<typeof step>>;
      try {
        outcome = await step();
      } catch (err) {
        if (!failing) {
          logger?.error(
            { err },
            'scheduled key rotation: a step failed; retrying (the keys are as they were)',
          );
        }
        failing = true;
        arm(Math.min(maxCheckIntervalMs, RETRY_AFTER_FAILURE_MS));
        throw err;
      }
      if (failing) logger?.info({}, 'scheduled key rotation: the database answers again');
      failing = false;
      arm(delayUntil(outcome.nextDueSec, clock(), maxCheckIntervalMs));
      report(outcome.change);
      return outcome.change;
    });
    running = result.catch(() => {});
    return result;
  }

  function arm(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      run().catch(() => {
        // Logged in run(); the next attempt is armed there.
      });
    }, delayMs);
    timer.unref();
  }

  arm(0);

  return {
    runNow: run,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

/** The options with defaults, checked (TypeError names the option). */
function checkOptions(options: KeyRotationScheduleOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('scheduleKeyRotation: options must be an object');
  }
  const { rotateEverySec, propagationSec = DEFAULT_PROPAGATION_SEC, alg } = options;
  const maxCheckIntervalMs = options.maxCheckIntervalMs ?? DEFAULT_ROTATION_CHECK_INTERVAL_MS;
  if (!Number.isSafeInteger(rotateEverySec) || rotateEverySec < 1) {
    throw new TypeError(
      'scheduleKeyRotation: rotateEverySec must be a whole number of seconds ≥ 1',
    );
  }
  if (
    !Number.isSafeInteger(propagationSec) ||
    propagationSec < 0 ||
    propagationSec > MAX_PROPAGATION_SEC
  ) {
    throw new TypeError(
      `scheduleKeyRotation: propagationSec must be a whole number of seconds from 0 to ${MAX_PROPAGATION_SEC}`,
    );
  }
  if (alg !== undefined && !isSigningAlg(alg)) {
    throw new TypeError(`scheduleKeyRotation: unsupported alg ${JSON.stringify(alg)}`);
  }
  // setTimeout holds at most 2^31 - 1 ms.
  if (
    !Number.isSafeInteger(maxCheckIntervalMs) ||
    maxCheckIntervalMs < 1 ||
    maxCheckIntervalMs > 2_147_483_647
  ) {
    throw new TypeError(
      'scheduleKeyRotation: maxCheckIntervalMs must be a whole number of milliseconds from 1 to 2147483647',
    );
  }
  return {
    rotateEverySec,
    propagationSec,
    alg,
    maxCheckIntervalMs,
    logger: options.logger,
    onChange: options.onChange,
  };
}

/**
 * Milliseconds until `dueSec` by the schedule's clock, within [0, max]. The clock counts whole
 * seconds, so waiting the difference wakes at most a second late, never early. Something already
 * due that the step did not do (another instance holds it) is looked at again after a second.
 */
function delayUntil(dueSec: number | undefined, nowSec: number, maxMs: number): number {
  if (dueSec === undefined) return maxMs;
  if (dueSec <= nowSec) return Math.min(maxMs, 1000);
  return Math.min(maxMs, (dueSec - nowSec) * 1000);
}

function hasChanges(change: KeyLifecycleChange): boolean {
  return (
    change.created.length > 0 ||
    change.scheduled.length > 0 ||
    change.activated.length > 0 ||
    change.retired.length > 0 ||
    change.revoked.length > 0 ||
    change.removed.length > 0
  );
}

function addChange(into: KeyLifecycleChange, from: KeyLifecycleChange): void {
  into.created.push(...from.created);
  into.scheduled.push(...from.scheduled);
  into.activated.push(...from.activated);
  into.retired.push(...from.retired);
  into.revoked.push(...from.revoked);
  into.removed.push(...from.removed);
  into.refused.push(...from.refused);
}
