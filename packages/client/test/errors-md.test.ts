import { readdirSync, readFileSync } from 'node:fs';
import * as mainEntry from '@m2m-auth/client';
import { TOKEN_CLIENT_ERROR_CODES, TokenClientError } from '@m2m-auth/client/errors';
import { describe, expect, it } from 'vitest';

const table = readFileSync(new URL('../ERRORS.md', import.meta.url), 'utf8');
const documented = [...table.matchAll(/^\|\s*`(ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]);

describe('ERRORS.md', () => {
  it('lists every error code of the package exactly once, in the order of the code table', () => {
    expect(documented).toEqual([...TOKEN_CLIENT_ERROR_CODES]);
    expect(Object.isFrozen(TOKEN_CLIENT_ERROR_CODES)).toBe(true);
  });

  it('lists only codes that some module of the source uses', () => {
    const src = new URL('../src/', import.meta.url);
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' });
    const thrown = new Set<string>();
    for (const file of files.filter((f) => f.endsWith('.ts') && f !== 'errors.ts')) {
      const source = readFileSync(new URL(file, src), 'utf8');
      for (const m of source.matchAll(/'(ERR_[A-Z_]+)'/g)) if (m[1]) thrown.add(m[1]);
    }
    for (const code of TOKEN_CLIENT_ERROR_CODES) expect(thrown).toContain(code);
  });
});

describe('TokenClientError', () => {
  it('is exported from the main entry and the errors subpath as the same class', () => {
    expect(mainEntry.TokenClientError).toBe(TokenClientError);
    expect(mainEntry.TOKEN_CLIENT_ERROR_CODES).toBe(TOKEN_CLIENT_ERROR_CODES);
  });

  it('carries a stable code and the RFC 6749 error fields', () => {
    const err = new TokenClientError('ERR_INVALID_SCOPE', 'rejected', {
      oauthError: 'invalid_scope',
      oauthErrorDescription: 'no',
      status: 400,
      attempts: 1,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('TokenClientError');
    expect(err).toMatchObject({
      code: 'ERR_INVALID_SCOPE',
      oauthError: 'invalid_scope',
      status: 400,
    });
  });
});
