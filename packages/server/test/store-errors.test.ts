import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STORE_ERROR_CODES, StoreError } from '@m2m-auth/server';
import { describe, expect, it } from 'vitest';

describe('StoreError', () => {
  it('is listed in ERRORS.md with exactly its codes, in order', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'ERRORS.md'), 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith('StoreError'));
    expect(section).toBeDefined();
    const codes = [...(section ?? '').matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(codes).toEqual([...STORE_ERROR_CODES]);
  });

  it('carries its code and its cause', () => {
    const cause = new Error('driver detail');
    const err = new StoreError('DATABASE_ERROR', 'cannot open the PostgreSQL database: refused', {
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'StoreError', code: 'DATABASE_ERROR', cause });
  });
});
