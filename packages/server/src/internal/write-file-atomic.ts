import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What {@link writeFileAtomic} did. */
export type FileWriteResult = 'created' | 'updated' | 'unchanged';

/**
 * Writes `content` to `path` atomically: a temp file in the same folder, created with `mode`
 * (exclusive, so never through a planted symlink), flushed, then renamed over the target. Readers see
 * the old file or the new one, never half of it. A file already holding `content` with `mode` is left
 * untouched, so re-running provisioning does not churn files.
 *
 * @param mode - Permission bits; default 0o600 (owner read/write only).
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
  return existing ? 'updated' : 'created';
}
