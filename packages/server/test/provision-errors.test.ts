import { PROVISION_ERROR_CODES } from '@m2m-auth/server/errors';
import { describe, expect, it } from 'vitest';
import { errorsMdCodes } from './helpers/errors-md.js';

describe('ERRORS.md', () => {
  it('lists exactly the ProvisionError codes, in order', () => {
    expect(errorsMdCodes('ProvisionError')).toEqual([...PROVISION_ERROR_CODES]);
  });
});
