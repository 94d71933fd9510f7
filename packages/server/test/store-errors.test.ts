import { STORE_ERROR_CODES, StoreError } from '@m2m-auth/server/errors';
import { describe, expect, it } from 'vitest';
import { errorsMdCodes } from './helpers/errors-md.js';

describe('StoreError', () => {
  it('is listed in ERRORS.md with exactly its codes, in order', () => {
    expect(errorsMdCodes('StoreError')).toEqual([...STORE_ERROR_CODES]);
  });

  it('carries its code and its cause', () => {
    const cause = new Error('driver detail');
    const err = new StoreError(
      'ERR_DATABASE_ERROR',
      'cannot open the PostgreSQL database: refused',
      {
        cause,
      },
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'StoreError', code: 'ERR_DATABASE_ERROR', cause });
  });
});
