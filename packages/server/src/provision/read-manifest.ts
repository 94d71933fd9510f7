import { readFile } from 'node:fs/promises';
import { type Manifest, parseManifest } from './parse-manifest.js';
import { ProvisionError } from './provision-error.js';

/** Largest manifest read, bytes: far above any real platform, well below a memory problem. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Reads and validates a manifest file (YAML or JSON, UTF-8).
 *
 * @param path - The manifest file.
 * @throws {ProvisionError} `ERR_MANIFEST_UNREADABLE` when the file cannot be read (or is over 1 MiB);
 *   `ERR_MANIFEST_SYNTAX` / `ERR_MANIFEST_INVALID` as {@link parseManifest}.
 * @example
 * ```ts
 * const manifest = await readManifest('examples/hospital/services.yaml');
 * ```
 */
export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new ProvisionError('ERR_MANIFEST_UNREADABLE', `${path} is larger than 1 MiB`);
    }
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof ProvisionError) throw err;
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : String((err as Error).message);
    throw new ProvisionError('ERR_MANIFEST_UNREADABLE', `cannot read manifest ${path}: ${reason}`, {
      cause: err,
    });
  }
  return parseManifest(text, path);
}
