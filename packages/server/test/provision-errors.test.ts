import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVISION_ERROR_CODES } from '@m2m-auth/server';
import { describe, expect, it } from 'vitest';

describe('ERRORS.md', () => {
  it('lists exactly the ProvisionError codes, in order', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'ERRORS.md'), 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith('ProvisionError'));
    expect(section).toBeDefined();
    const codes = [...(section ?? '').matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(codes).toEqual([...PROVISION_ERROR_CODES]);
  });
});
