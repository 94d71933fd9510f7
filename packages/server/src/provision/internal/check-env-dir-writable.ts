import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ProvisionError } from '../provision-error.js';

/**
 * Checks, without creating anything, that the env folder can be written: it is a writable folder,
 * or the nearest existing folder above it is writable (provisioning will create the rest). Lets
 * the CLI refuse a bad `--env-dir` before it opens (or creates) the database.
 *
 * @throws {ProvisionError} `ERR_ENV_DIR_UNWRITABLE` naming the folder and why.
 */
export async function checkEnvDirWritable(envDir: string): Promise<void> {
  const target = resolve(envDir);
  let path = target;
  for (;;) {
    try {
      const info = await stat(path);
      if (!info.isDirectory()) throw new Error(`${path} is not a folder`);
      await access(path, constants.W_OK | constants.X_OK);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = dirname(path);
      if (code === 'ENOENT' && parent !== path) {
        path = parent;
        continue;
      }
      throw new ProvisionError(
        'ERR_ENV_DIR_UNWRITABLE',
        `cannot write to ${target}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
