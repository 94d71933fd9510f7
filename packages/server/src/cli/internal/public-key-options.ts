import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { CLIENT_ASSERTION_ALGS } from '../../clients/client-public-keys.js';
import type { ClientAssertionAlg, NewClientPublicKeys } from '../../clients/client-store.js';
import { CliError } from './cli-error.js';

/** The flags that register a `private_key_jwt` client's keys. */
export interface PublicKeyFlags {
  publicKey?: string[];
  jwksUri?: string;
  alg?: ClientAssertionAlg;
}

/** Adds `--public-key <file>` (repeatable), `--jwks-uri <url>` and `--alg <alg>`. */
export function addPublicKeyOptions(command: Command, verb: string): Command {
  return command
    .option(
      '--public-key <file>',
      `${verb} public key: PEM (SPKI), JWK or JWK Set file; give it twice for two keys during a key change`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--jwks-uri <url>',
      `${verb} JWK Set URL (the server fetches it from allowed hosts only)`,
    )
    .addOption(
      new Option(
        '--alg <alg>',
        'algorithm of the client assertions (required with --jwks-uri)',
      ).choices(CLIENT_ASSERTION_ALGS as string[]),
    );
}

/**
 * The keys the flags name, read from their files, or undefined when none was given.
 *
 * @throws CliError `ERR_CLI_USAGE` (both --public-key and --jwks-uri, --alg alone), `ERR_CLI_FILE_UNREADABLE`.
 */
export function publicKeysOf(flags: PublicKeyFlags): NewClientPublicKeys | undefined {
  const files = flags.publicKey ?? [];
  if (files.length > 0 && flags.jwksUri !== undefined) {
    throw new CliError('ERR_CLI_USAGE', 'give either --public-key or --jwks-uri, not both');
  }
  if (flags.jwksUri !== undefined) {
    if (flags.alg === undefined) {
      throw new CliError(
        'ERR_CLI_USAGE',
        `--jwks-uri needs --alg (${CLIENT_ASSERTION_ALGS.join(', ')}): the algorithm is pinned per client`,
      );
    }
    return { jwksUri: flags.jwksUri, alg: flags.alg };
  }
  if (files.length === 0) {
    if (flags.alg !== undefined)
      throw new CliError('ERR_CLI_USAGE', '--alg goes with --public-key or --jwks-uri');
    return undefined;
  }
  const publicKeys = files.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new CliError('ERR_CLI_FILE_UNREADABLE', `cannot read ${file}: ${reason}`, { cause });
    }
  });
  return flags.alg === undefined ? { publicKeys } : { publicKeys, alg: flags.alg };
}
