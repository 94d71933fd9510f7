import { writeFileAtomic as writeFileAtomicOrThrow } from '../../internal/write-file-atomic.js';
import { CliError } from './cli-error.js';

/**
 * Writes a file atomically and durably (see the shared writer), so readers (e.g. a verifier
 * watching a key file) never see it half-written; a failure becomes a CLI error.
 *
 * @param mode file mode, e.g. 0o644 for public keys
 * @throws {CliError} `ERR_CLI_FILE_UNWRITABLE`
 */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  try {
    await writeFileAtomicOrThrow(path, content, mode);
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new CliError('ERR_CLI_FILE_UNWRITABLE', `cannot write ${path}: ${reason}`, { cause });
  }
}
