/** Reading packages/server/ERRORS.md, for the tests that the tables and the error codes agree. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** The `## <errorClass>` section of the package's ERRORS.md (the test fails when there is none). */
export function errorsMdSection(errorClass: string): string {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'ERRORS.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith(errorClass));
  expect(section).toBeDefined();
  return section ?? '';
}

/** The codes in the first column of a section's table, in order (rows like ``| `CODE` |``). */
export function errorsMdCodes(errorClass: string): (string | undefined)[] {
  return [...errorsMdSection(errorClass).matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
}
