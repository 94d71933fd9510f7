import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { CliError } from './cli-error.js';

/**
 * Writes a file through a temporary file and a rename, so readers (e.g. a verifier watching a key
 * file) never see it half-written.
 *
 * @param mode file mode, e.g. 0o644 for public keys
 * @throws {CliError} `ERR_CLI_FILE_UNWRITABLE`
 */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, content, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (cause) {
    rmSync(tmp, { force: true });
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new CliError('ERR_CLI_FILE_UNWRITABLE', `cannot write ${path}: ${reason}`, { cause });
  }
}
