/**
 * SECURITY.md states the threat model the hardening issue asks for, and the numbers it gives for
 * the server's limits are the ones in the code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_AUDIT_STORE_OPTIONS } from '@m2m-auth/server/audit';
import { DEFAULT_TOKEN_TTL_SEC } from '@m2m-auth/server/clients';
import {
  DEFAULT_AUTH_FAILURE_LIMITS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from '@m2m-auth/server/http';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(join(import.meta.dirname, '..', 'SECURITY.md'), 'utf8');

/** The text of the section whose heading is exactly `title`, up to the next heading of any level. */
function section(title: string): string {
  const start = doc.search(new RegExp(`^#+ ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  expect(start, `section "${title}"`).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start).split('\n').slice(1).join('\n');
  return rest.slice(0, rest.search(/^#+ /m) === -1 ? undefined : rest.search(/^#+ /m));
}

describe('SECURITY.md', () => {
  it('says for each threat what an attacker can and cannot do, and what limits it', () => {
    for (const threat of [
      'A stolen access token',
      'A stolen client secret',
      'A leaked public key',
      'A compromised receiving service',
      'A compromised database',
    ]) {
      const text = section(threat);
      expect(text, threat).toMatch(/\*\*Can/);
      expect(text, threat).toMatch(/\*\*Cannot/);
      expect(text, threat).toMatch(/\*\*Limited by/);
    }
    for (const measure of ['lifetime', 'audience', 'scopes', 'revocation', 'rotation', 'encrypt']) {
      expect(doc.toLowerCase()).toContain(measure);
    }
  });

  it('gives the failure limits the code has by default', () => {
    const limits = DEFAULT_AUTH_FAILURE_LIMITS;
    const table = section('Failed client authentications are rate limited');
    const window = `per ${limits.windowSec} s`;
    expect(table).toContain(`| ${limits.maxPerClientAndAddress} ${window} |`);
    expect(table).toContain(`| ${limits.maxPerAddress} ${window} |`);
    expect(table).toContain(`| ${limits.maxPerClient} ${window} |`);
    expect(table).toContain(`for ${limits.blockSec} s`);
    expect(table).toContain(`last ${limits.trustedPairTtlSec / 3600} h`);
    expect(table).toContain(
      `at most \`maxEntries\` (${limits.maxEntries.toLocaleString('en').replace(',', ' ')})`,
    );
  });

  it('gives the input limits, token lifetime and audit retention the code has by default', () => {
    const inputs = section('Input limits');
    expect(inputs).toContain(`| ${DEFAULT_MAX_HEADER_BYTES} bytes (\`maxHeaderBytes\`)`);
    expect(inputs).toContain(`| ${DEFAULT_BODY_LIMIT_BYTES / 1024} KiB (\`bodyLimitBytes\`)`);
    expect(inputs).toContain(`| ${DEFAULT_REQUEST_TIMEOUT_MS / 1000} s (\`requestTimeoutMs\``);
    expect(section('A stolen access token')).toContain(`${DEFAULT_TOKEN_TTL_SEC} s by default`);
    expect(section('Audit')).toContain(
      `default ${DEFAULT_AUDIT_STORE_OPTIONS.retentionSec / 86_400} days`,
    );
    expect(section('Audit')).toContain(
      `at most ${DEFAULT_AUDIT_STORE_OPTIONS.maxQueuedEvents.toLocaleString('en').replace(',', ' ')}`,
    );
  });
});

describe('SECURITY.md on reporting', () => {
  it('says how to report a vulnerability privately and what to send', () => {
    const text = section('Reporting a vulnerability');
    expect(text).toMatch(/privately/);
    expect(text).toMatch(/never send real secrets/);
    expect(text).toMatch(/acknowledgement within \d+ working days/);
  });
});
