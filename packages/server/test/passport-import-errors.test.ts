import { PASSPORT_IMPORT_ERROR_CODES } from '@m2m-auth/server/errors';
import { describe, expect, it } from 'vitest';
import { errorsMdCodes } from './helpers/errors-md.js';

describe('ERRORS.md', () => {
  it('lists exactly the PassportImportError codes, in order', () => {
    expect(errorsMdCodes('PassportImportError')).toEqual([...PASSPORT_IMPORT_ERROR_CODES]);
  });
});
