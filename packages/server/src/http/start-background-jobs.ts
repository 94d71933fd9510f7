import type { RunningServer } from './start-server.js';

/** Options of {@link startBackgroundJobs}. */
export interface BackgroundJobsOptions {
  /** Rotate the signing key when the active one is this old, seconds; undefined: no schedule. */
  rotateEverySec?: number;
  /** With `rotateEverySec`: seconds between publishing the next key and signing with it. */
  propagationSec: number;
  /** Folder kept holding `jwks.json` and `oauth-public.key`; undefined: none. */
  publishKeysDir?: string;
  /** Receives one line for people per thing started (the CLI prints them on stderr). */
  say: (line: string) => void;
}

/** The jobs {@link startBackgroundJobs} started. */
export interface BackgroundJobs {
  /** Stops them; resolves once a step in flight has finished. Leaves the server running. */
  stop(): Promise<void>;
}

/**
 * Starts what a long-running authorization server does besides answering requests: reports a
 * signing key generated at start, rotates the signing key on a schedule (every instance runs it;
 * each step is one database transaction that re-checks the keys, so exactly one performs it) and
 * keeps the published key files current. Loaded only by `serve`, so that the other commands do
 * not pay for it.
 *
 * @throws the file system's error (`EACCES`, …) when the key files cannot be written at start;
 *   the rotation schedule and the server are then stopped and closed
 */
export async function startBackgroundJobs(
  server: RunningServer,
  options: BackgroundJobsOptions,
): Promise<BackgroundJobs> {
  const { rotateEverySec, propagationSec, publishKeysDir, say } = options;
  const logger = server.app.log;
  const { generatedKey } = server;
  if (generatedKey !== undefined) {
    server.app.log.info(
      { kid: generatedKey.kid, alg: generatedKey.alg, state: generatedKey.state },
      'the database had no signing key: generated one',
    );
    say(
      `no signing key in the database: generated ${generatedKey.alg} key ${generatedKey.kid} (${generatedKey.state}); export its public key with: m2m-auth keys export-public`,
    );
  }
  let rotation: { stop(): Promise<void> } | undefined;
  if (rotateEverySec !== undefined) {
    const { scheduleKeyRotation } = await import('../keys/schedule-key-rotation.js');
    rotation = scheduleKeyRotation(server.store, { rotateEverySec, propagationSec, logger });
    server.app.log.info({ rotateEverySec, propagationSec }, 'scheduled key rotation on');
    say(
      `rotating the signing key every ${rotateEverySec} s (published ${propagationSec} s before it signs)`,
    );
  }
  let publisher: { stop(): Promise<void> } | undefined;
  if (publishKeysDir !== undefined) {
    const { publishKeyFiles } = await import('../keys/publish-key-files.js');
    try {
      publisher = await publishKeyFiles(server.store, { dir: publishKeysDir, logger });
    } catch (err) {
      await rotation?.stop();
      await server.close();
      throw err;
    }
    say(
      `publishing the keys to ${publishKeysDir}/jwks.json (every published key) and ${publishKeysDir}/oauth-public.key (the active key) on every change`,
    );
  }
  return {
    async stop() {
      await rotation?.stop();
      await publisher?.stop();
    },
  };
}
