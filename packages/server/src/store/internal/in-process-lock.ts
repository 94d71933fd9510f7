const tails = new Map<string, Promise<void>>();

/**
 * Runs `fn` after every earlier call with the same key in this process has finished.
 *
 * Why: better-sqlite3 is synchronous. When two connections of one process share a SQLite file and
 * one holds the write lock across an `await`, the other's `BEGIN IMMEDIATE` would spin in
 * busy_timeout on the event loop, so the first could never commit. Serializing writers per file in
 * the process avoids that; between processes, SQLite's lock and busy_timeout do the job.
 */
export async function withInProcessLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release = (): void => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => done);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
