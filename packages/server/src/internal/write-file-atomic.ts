import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What {@link writeFileAtomic} did. */
export type FileWriteResult = 'created' | 'updated' | 'unchanged';

/**
 * Writes `content` to `path` atomically and durably: a temp file in the same folder, created with
 * `mode` (exclusive, so never through a planted symlink), flushed to disk (fsync), renamed over the
 * target, then the folder flushed so that the rename survives a crash. Readers see the old file or
 * the new one, never half of it. Used for every key, env and JWKS file m2m-auth writes. A file already holding `content` with `mode` is left
 * untouched, so re-running provisioning does not churn files.
 *
 * @param mode - Permission bits; default 0o600 (owner read/write only).
 * @returns `created`, `updated`, or `unchanged` (the file already held `content` with `mode`).
 * @throws the file system's error (`EACCES`, `ENOENT` for a missing folder, …); the target is
 *   then as it was.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  mode = 0o600,
): Promise<FileWriteResult> {
  let existing: { content: string; mode: number } | undefined;
  try {
    const info = await stat(path);
    existing = { content: await readFile(path, 'utf8'), mode: info.mode & 0o777 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing && existing.content === content && existing.mode === mode) return 'unchanged';

  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    // The umask may have narrowed the mode at creation; never widened it, so set it exactly.
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dirname(path));
  return existing ? 'updated' : 'created';
}

/** Flushes a folder's entries (the rename) to disk; a platform that cannot open folders skips it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EPERM' || code === 'EACCES') return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await handle.close();
  }
}
