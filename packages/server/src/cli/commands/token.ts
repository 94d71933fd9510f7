import type { Command } from 'commander';
import { commandAction } from '../internal/command-action.js';
import { examples, formatTime } from '../internal/output.js';
import { addStoreOptions } from '../internal/store-options.js';

/**
 * Registers `m2m-auth token revoke <jti>`: records a token id as revoked, so that the revocation
 * feed (`GET /revocations`) lists it and introspection answers `active: false` for it.
 */
export function registerTokenCommand(program: Command): void {
  const token = program
    .command('token')
    .description('manage issued access tokens')
    .addHelpText('after', examples('m2m-auth token revoke 0b5e1c52-8f0e-4c55-9a4e-2d7c1f9a3b11'));

  addStoreOptions(
    token
      .command('revoke')
      .description(
        'revoke one access token by its jti: receivers polling GET /revocations refuse it from their next poll',
      )
      .argument('<jti>', 'the token id (the jti claim; audit events list it)'),
  )
    .addHelpText('after', examples('m2m-auth token revoke 0b5e1c52-8f0e-4c55-9a4e-2d7c1f9a3b11'))
    .action(
      commandAction(async ({ out, withStore }, jti: string, _opts: unknown) => {
        const entry = await withStore((store) => store.revocations.revokeToken(jti));
        out.data({
          jti: entry.jti,
          revoked_at: entry.revokedAt,
          feed_until: entry.expiresAt,
        });
        out.text(
          `Revoked token ${entry.jti} at ${formatTime(entry.revokedAt)}; it stays in GET /revocations until ${formatTime(entry.expiresAt)}.`,
        );
      }),
    );
}
