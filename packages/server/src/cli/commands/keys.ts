import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { changeToLines, describeNextChange, keyToJson } from '../../admin/key-view.js';
import { listKeys } from '../../admin/operations/list-keys.js';
import { revokeKey } from '../../admin/operations/revoke-key.js';
import { rotateKeys } from '../../admin/operations/rotate-keys.js';
import type { Store } from '../../app/store.js';
import { buildJwks } from '../../keys/build-jwks.js';
import { DEFAULT_PROPAGATION_SEC } from '../../keys/key-lifecycle.js';
import type { RefusedActivation, SigningKeyRecord } from '../../keys/key-store.js';
import { SIGNING_ALGS } from '../../keys/signing-key-pair.js';
import { StoreError } from '../../store/store-error.js';
import type { SigningAlg } from '../../tokens/token-types.js';
import { CliError } from '../internal/cli-error.js';
import { commandAction } from '../internal/command-action.js';
import { parseSeconds } from '../internal/option-parsers.js';
import { examples, formatTable, formatTime } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';
import { writeFileAtomic } from '../internal/write-file-atomic.js';

/**
 * Registers `m2m-auth keys …`: generate, list, export-public, import, rotate, revoke.
 * Private keys are never printed. Each command first applies due lifecycle steps (a `next` key
 * whose time has come becomes active, expired retired keys are removed), so what it shows and
 * exports is current even when no server is running.
 */
export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('manage the signing keys of access tokens')
    .addHelpText(
      'after',
      examples(
        'm2m-auth keys generate',
        'm2m-auth keys list',
        'm2m-auth keys export-public --out oauth-public.key',
      ),
    );

  const algOption = () =>
    new Option('--alg <alg>', 'signing algorithm').choices(SIGNING_ALGS as string[]);

  addStoreOptions(
    keys
      .command('generate')
      .description('generate a signing key (active if there is none yet, else published as next)')
      .addOption(algOption().default('RS256')),
  )
    .addHelpText('after', examples('m2m-auth keys generate', 'm2m-auth keys generate --alg ES256'))
    .action(
      commandAction(async ({ out, withStore }, opts: { alg: SigningAlg }) => {
        const key = await withStore(async (store) => {
          await advanceKeys(store);
          return store.keys.generate(opts.alg);
        });
        out.data(keyToJson(key));
        out.text(
          `Generated ${key.alg} signing key ${key.kid} (${key.state}).`,
          key.state === 'active'
            ? 'It signs new access tokens. Export its public key with: m2m-auth keys export-public'
            : 'It is published in the JWKS but does not sign until "m2m-auth keys rotate" activates it.',
        );
      }),
    );

  addStoreOptions(
    keys.command('list').description('list signing keys with their state and next change'),
  )
    .addHelpText('after', examples('m2m-auth keys list', 'm2m-auth keys list --json'))
    .action(
      commandAction(async ({ out, withStore }, _opts: unknown) => {
        const { keys: all, json, refused } = await withStore(listKeys, 'existing');
        warnRefused(refused);
        out.data(json);
        if (all.length === 0) {
          out.text('No signing keys. Create one with: m2m-auth keys generate');
          return;
        }
        out.text(
          ...formatTable([
            ['KID', 'ALG', 'STATE', 'CREATED', 'NEXT CHANGE'],
            ...all.map((key) => [
              key.kid,
              key.alg,
              key.state,
              formatTime(key.createdAt),
              describeNextChange(key, all),
            ]),
          ]),
        );
      }),
    );

  addStoreOptions(
    keys
      .command('export-public')
      .description(
        'write the public key as PEM (the active one by default), or every published key as a JWKS',
      )
      .option('--out <file>', 'file to write (mode 0644); default: standard output')
      .option('--kid <kid>', 'export this key instead of the active one')
      .option('--all', 'export every published key (next, active, retired) as a JWKS file'),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth keys export-public --out oauth-public.key',
        'm2m-auth keys export-public --all --out jwks.json',
      ),
    )
    .action(
      commandAction(
        async (
          { options, out, withStore },
          opts: { out?: string; kid?: string; all?: boolean },
        ) => {
          if (opts.all && opts.kid !== undefined) {
            throw new CliError('ERR_CLI_USAGE', 'give either --all or --kid, not both');
          }
          if (opts.all) {
            const published = await withStore(async (store) => {
              await advanceKeys(store);
              return store.keys.published();
            }, 'existing');
            const jwks = `${JSON.stringify(buildJwks(published), null, 2)}\n`;
            const kids = published.map((key) => key.kid);
            if (opts.out === undefined) {
              process.stdout.write(jwks);
              return;
            }
            await writeFileAtomic(opts.out, jwks, 0o644);
            out.data({ file: opts.out, kids });
            out.text(`Wrote ${kids.length} published key(s) as a JWKS to ${opts.out}.`);
            return;
          }
          const key = await withStore((store) => exportableKey(store, opts.kid), 'existing');
          // jose is loaded only by the command that needs it, keeping every other command's start fast.
          const { exportPublicKeyPem } = await import('../../keys/export-public-key-pem.js');
          const pem = await exportPublicKeyPem(key.publicJwk);
          if (opts.out === undefined) {
            if (options.json) out.data({ kid: key.kid, alg: key.alg, public_key_pem: pem });
            else process.stdout.write(pem.endsWith('\n') ? pem : `${pem}\n`);
            return;
          }
          await writeFileAtomic(opts.out, pem.endsWith('\n') ? pem : `${pem}\n`, 0o644);
          out.data({ file: opts.out, kid: key.kid, alg: key.alg });
          out.text(`Wrote the public key of ${key.kid} (${key.alg}, ${key.state}) to ${opts.out}.`);
        },
      ),
    );

  addStoreOptions(
    keys
      .command('import')
      .description(
        "adopt an existing private key, e.g. Laravel Passport's oauth-private.key (PKCS#1 or PKCS#8 PEM)",
      )
      .requiredOption('--private-key <file>', 'PEM file of the private key'),
  )
    .addHelpText('after', examples('m2m-auth keys import --private-key storage/oauth-private.key'))
    .action(
      commandAction(async ({ out, withStore }, opts: { privateKey: string }) => {
        let pem: string;
        try {
          pem = readFileSync(opts.privateKey, 'utf8');
        } catch (cause) {
          const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
          throw new CliError(
            'ERR_CLI_FILE_UNREADABLE',
            `cannot read ${opts.privateKey}: ${reason}`,
            {
              cause,
            },
          );
        }
        const key = await withStore(async (store) => {
          await advanceKeys(store);
          return store.keys.import(pem);
        });
        out.data(keyToJson(key));
        out.text(
          `Imported ${key.alg} key ${key.kid} (${key.state}).`,
          key.state === 'active'
            ? 'It signs new access tokens; verifiers that trust its public key keep working.'
            : 'It is published as the next key; "m2m-auth keys rotate" activates it (add --now to do it at once).',
        );
      }),
    );

  addStoreOptions(
    keys
      .command('rotate')
      .description(
        'start a rotation: publish a next key, which becomes active after the propagation delay',
      )
      .addOption(algOption())
      .option(
        '--propagation <sec>',
        `seconds between publishing the new key and signing with it (default ${DEFAULT_PROPAGATION_SEC}; at least the JWKS cache lifetime)`,
        parseSeconds,
      )
      .option('--now', 'activate the new key at once (emergency; verifiers may not have it yet)'),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth keys rotate',
        'm2m-auth keys rotate --alg ES256 --propagation 900',
        'm2m-auth keys rotate --now',
      ),
    )
    .action(
      commandAction(
        async (
          { out, withStore },
          opts: { alg?: SigningAlg; propagation?: number; now?: boolean },
        ) => {
          const { change, json, refused } = await withStore(
            (store) =>
              rotateKeys(store, {
                ...(opts.alg !== undefined ? { alg: opts.alg } : {}),
                ...(opts.propagation !== undefined ? { propagationSec: opts.propagation } : {}),
                immediately: opts.now === true,
              }),
            // A rotation replaces keys that exist: in the wrong folder it must not start a new store.
            'existing',
          );
          warnRefused(refused);
          out.data(json);
          out.text(...changeToLines(change));
        },
      ),
    );

  addStoreOptions(
    keys
      .command('revoke')
      .description(
        'revoke a key at once (compromise): it leaves the JWKS; an active key is replaced',
      )
      .argument('<kid>', 'key ID (one that begins with "-" goes after "--")'),
  )
    .addHelpText('after', examples('m2m-auth keys revoke 3vQk…', 'm2m-auth keys revoke -- -4zx…'))
    .action(
      commandAction(async ({ out, withStore }, kid: string, _opts: unknown) => {
        const { change, json } = await withStore((store) => revokeKey(store, kid), 'existing');
        out.data(json);
        out.text(...(change.skipped ? [`Key ${kid} was already revoked.`] : changeToLines(change)));
      }),
    );
}

/**
 * Applies due lifecycle steps before a command; a due key this process cannot decrypt stays
 * `next` (activating it would stop all signing), and the operator is told on stderr.
 */
async function advanceKeys(store: Store): Promise<void> {
  warnRefused((await store.keys.advance()).refused);
}

/** Tells the operator on stderr about due keys that stay `next` because they cannot be decrypted. */
function warnRefused(refused: readonly RefusedActivation[]): void {
  for (const activation of refused) {
    process.stderr.write(`m2m-auth: warning: ${activation.message}\n`);
  }
}

async function exportableKey(store: Store, kid: string | undefined): Promise<SigningKeyRecord> {
  await advanceKeys(store);
  if (kid === undefined) {
    const active = (await store.keys.list()).find((key) => key.state === 'active');
    if (active === undefined) {
      throw new StoreError(
        'ERR_NO_ACTIVE_KEY',
        'no active signing key; create one with: m2m-auth keys generate',
      );
    }
    return active;
  }
  const key = await store.keys.get(kid);
  if (key === undefined)
    throw new StoreError('ERR_KEY_NOT_FOUND', `no signing key with kid ${JSON.stringify(kid)}`);
  if (key.state === 'revoked') throw new StoreError('ERR_KEY_REVOKED', `key ${kid} is revoked`);
  return key;
}
