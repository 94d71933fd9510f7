/**
 * The production guides (docs/production.md and docs/postgresql.md) name real things: every `--flag`
 * they give `serve` exists, every environment variable they name is one `serve --help` lists (or the
 * store's), and the admin listener's paths are the ones the server registers.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'packages', 'server', 'bin', 'm2m-auth.js');

function production(): string {
  return ['production.md', 'postgresql.md']
    .map((page) => readFileSync(join(ROOT, 'docs', page), 'utf8'))
    .join('\n');
}

describe('the production guides', () => {
  it('uses only flags and environment variables that serve has', async () => {
    const help = (await promisify(execFile)(process.execPath, [CLI, 'serve', '--help'])).stdout;
    const text = production();
    const flags = new Set([...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]));
    for (const [, flag] of text.matchAll(/(?<![\w-])(--[a-z][a-z-]+)/g)) {
      if (
        [
          '--omit',
          '--help',
          '--name',
          '--kill-timeout',
          '--no-install-recommends',
          '--token-ttl',
        ].includes(flag as string)
      )
        continue;
      expect(flags.has(flag), `serve has ${flag}`).toBe(true);
    }
    const variables = new Set([
      ...[...help.matchAll(/env:? ([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]),
      'M2M_AUTH_KEK',
    ]);
    for (const [, name] of text.matchAll(/\b((?:M2M_AUTH|PORT|HOST|DATABASE)[A-Z0-9_]*)\b/g)) {
      expect(variables.has(name), `serve reads ${name}`).toBe(true);
    }
    for (const path of [
      '/livez',
      '/readyz',
      '/metrics',
      '/admin/v1/',
      '/openapi.json',
      '/healthz',
    ]) {
      expect(text).toContain(path);
    }
  });
});
