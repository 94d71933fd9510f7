import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../internal/write-file-atomic.js';
import { buildJwks } from './build-jwks.js';
import { exportPublicKeyPem } from './export-public-key-pem.js';
import { nextPublishedChangeAt } from './key-lifecycle.js';
import type { KeyStore } from './key-store.js';

/** File name of the JWK Set that {@link publishKeyFiles} writes: every published key. */
export const PUBLISHED_JWKS_FILE_NAME = 'jwks.json';
/** File name of the active public key (PEM) that {@link publishKeyFiles} writes. */
export const PUBLISHED_PEM_FILE_NAME = 'oauth-public.key';

/** Where {@link publishKeyFiles} reports what it wrote and its failures. */
export interface KeyFilePublisherLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link publishKeyFiles}. */
export interface PublishKeyFilesOptions {
  /** Folder to write into (created if missing), e.g. a volume shared with the receivers. */
  dir: string;
  /**
   * How often to look for a change, milliseconds; default 1000. A look reads the store's revision
   * (one cheap query); the keys are read only when it moved or a key's time has come.
   */
  checkIntervalMs?: number;
  logger?: KeyFilePublisherLogger;
}

/** A running publisher; see {@link publishKeyFiles}. */
export interface KeyFilePublisher {
  /** Looks now and writes the files if they changed; resolves to whether it wrote. */
  runNow(): Promise<boolean>;
  /** Stops the timer; resolves once a look in flight has finished. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Keeps two key files current in `dir` for receivers that read keys from a file (a shared
 * volume): `jwks.json`, the JWK Set of every published key (next, active, retired — what
 * `OAUTH_PUBLIC_KEY_PATH` should name: the verifier reads a JWKS file and so follows a rotation), and
 * `oauth-public.key`, the active key as PEM (for receivers that take one key, e.g. Passport's). Both
 * are written atomically (temporary file, then rename; mode 0644), at start and on every change:
 * a key generated, rotated, activated, retired, removed or revoked, by this instance, another one
 * or the CLI. Due lifecycle steps are applied first (as the server does), so the PEM follows the
 * activation time even when no token is requested. A failed write is logged and retried.
 *
 * @param store an open store (left open by `stop()`)
 * @param options `dir` required
 * @returns the publisher; the first look has completed when the promise resolves
 * @throws the first look's failure (folder not writable, database down), so that a misconfigured
 *   `serve --publish-keys` fails at start
 * @example
 * ```ts
 * const publisher = await publishKeyFiles(store, { dir: '/srv/keys' });
 * // receivers: OAUTH_PUBLIC_KEY_PATH=/srv/keys/jwks.json
 * await publisher.stop();
 * ```
 * @see RFC 7517 §5 (JWK Set)
 */
export async function publishKeyFiles(
  store: { readonly keys: KeyStore; revision(): Promise<number> },
  options: PublishKeyFilesOptions,
): Promise<KeyFilePublisher> {
  const { dir, logger } = options;
  const intervalMs = options.checkIntervalMs ?? 1000;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) {
    throw new TypeError('publishKeyFiles: checkIntervalMs must be a whole number of ms ≥ 1');
  }
  await mkdir(dir, { recursive: true });

  let lastRevision: number | undefined;
  let dueAtSec = Number.POSITIVE_INFINITY;
  let lastWritten: string | undefined;
  let failing = false;
  let running: Promise<boolean> = Promise.resolve(false);
  let stopped = false;

  async function look(force: boolean): Promise<boolean> {
    const nowSec = Math.floor(Date.now() / 1000);
    const revision = await store.revision();
    if (!force && revision === lastRevision && nowSec < dueAtSec) return false;
    if (nowSec >= dueAtSec) await store.keys.advance(nowSec);
    const published = await store.keys.published(nowSec);
    lastRevision = await store.revision();
    dueAtSec = nextPublishedChangeAt(published, nowSec);
    const jwks = `${JSON.stringify(buildJwks(published), null, 2)}\n`;
    const active = published.find((key) => key.state === 'active');
    const pem = active === undefined ? undefined : await exportPublicKeyPem(active.publicJwk);
    const content = `${jwks}\0${pem ?? ''}`;
    if (content === lastWritten) return false;
    await writeFileAtomic(join(dir, PUBLISHED_JWKS_FILE_NAME), jwks, 0o644);
    if (pem !== undefined) {
      await writeFileAtomic(
        join(dir, PUBLISHED_PEM_FILE_NAME),
        pem.endsWith('\n') ? pem : `${pem}\n`,
        0o644,
      );
    }
    lastWritten = content;
    logger?.info(
      { dir, kids: published.map((key) => key.kid), active: active?.kid },
      'published key files written',
    );
    return true;
  }

  function run(force: boolean): Promise<boolean> {
    const result = running.then(async () => {
      try {
        const wrote = await look(force);
        if (failing) logger?.info({ dir }, 'publishing key files works again');
        failing = false;
        return wrote;
      } catch (err) {
        if (!failing) {
          logger?.error({ err, dir }, 'publishing key files failed; retrying');
        }
        failing = true;
        lastRevision = undefined; // look again in full next time
        throw err;
      }
    });
    running = result.catch(() => false);
    return result;
  }

  await run(true);
  const timer = setInterval(() => {
    if (!stopped) run(false).catch(() => {});
  }, intervalMs);
  timer.unref();

  return {
    runNow: () => run(true),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
