/** ERRORS.md lists every AdminApiError code with its wire form, in step with the code. */
import { ADMIN_API_ERRORS, AdminApiError, type AdminApiErrorCode } from '@m2m-auth/server/errors';
import { describe, expect, it } from 'vitest';
import { errorsMdCodes, errorsMdSection } from './helpers/errors-md.js';

describe('AdminApiError and ERRORS.md', () => {
  it('documents every code, with its error value and status', () => {
    const codes = Object.keys(ADMIN_API_ERRORS) as AdminApiErrorCode[];
    expect(errorsMdCodes('AdminApiError')).toEqual(codes);
    const section = errorsMdSection('AdminApiError');
    for (const code of codes) {
      const { error, status } = ADMIN_API_ERRORS[code];
      expect(section).toMatch(new RegExp(`\\| \`${code}\` +\\| \`${error}\` +\\| ${status} +\\|`));
      const err = new AdminApiError(code);
      expect(err.toJSON()).toEqual({ error, error_description: err.message, code });
    }
  });
});
