/** One error model: every family extends M2mAuthError, has ERR_ codes from one table, and ERRORS.md agrees. */
import {
  ADMIN_API_ERRORS,
  AdminApiError,
  AUTH_SERVER_ERRORS,
  AuthServerError,
  CLI_ERROR_CODES,
  CLI_EXIT_CODES,
  CLIENT_ASSERTION_ERROR_CODES,
  CliError,
  ClientAssertionRefused,
  M2mAuthError,
  type M2mAuthErrorCode,
  PASSPORT_IMPORT_ERROR_CODES,
  PassportImportError,
  PROVISION_ERROR_CODES,
  ProvisionError,
  STORE_ERROR_CODES,
  StoreError,
} from '@m2m-auth/server/errors';
import { describe, expect, it } from 'vitest';
import { errorsMdSection } from './helpers/errors-md.js';

/** The codes in the first column of a section's table, in order (padded cells allowed). */
function errorsMdCodes(section: string): (string | undefined)[] {
  return [...errorsMdSection(section).matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((m) => m[1]);
}

const FAMILIES: Record<string, { codes: readonly string[]; make(code: string): Error }> = {
  AuthServerError: {
    codes: Object.keys(AUTH_SERVER_ERRORS),
    make: (code) => new AuthServerError(code as keyof typeof AUTH_SERVER_ERRORS),
  },
  AdminApiError: {
    codes: Object.keys(ADMIN_API_ERRORS),
    make: (code) => new AdminApiError(code as keyof typeof ADMIN_API_ERRORS),
  },
  ProvisionError: {
    codes: PROVISION_ERROR_CODES,
    make: (code) => new ProvisionError(code as (typeof PROVISION_ERROR_CODES)[number], 'm'),
  },
  PassportImportError: {
    codes: PASSPORT_IMPORT_ERROR_CODES,
    make: (code) =>
      new PassportImportError(code as (typeof PASSPORT_IMPORT_ERROR_CODES)[number], 'm'),
  },
  StoreError: {
    codes: STORE_ERROR_CODES,
    make: (code) => new StoreError(code as (typeof STORE_ERROR_CODES)[number], 'm'),
  },
  CliError: {
    codes: CLI_ERROR_CODES,
    make: (code) => new CliError(code as (typeof CLI_ERROR_CODES)[number], 'm'),
  },
  ClientAssertionRefused: {
    codes: CLIENT_ASSERTION_ERROR_CODES,
    make: () => new ClientAssertionRefused('assertion jti was already used'),
  },
};

describe('the server error model', () => {
  it.each(Object.entries(FAMILIES))(
    '%s extends M2mAuthError and carries its code and name',
    (name, family) => {
      for (const code of family.codes) {
        const err = family.make(code);
        expect(err).toBeInstanceOf(M2mAuthError);
        expect(err).toBeInstanceOf(Error);
        expect(err).toMatchObject({ name, code });
      }
    },
  );

  it.each(Object.entries(FAMILIES))(
    'ERRORS.md lists exactly the %s codes, in order',
    (name, family) => {
      expect(errorsMdCodes(name)).toEqual([...family.codes]);
    },
  );

  it('uses ERR_ codes only, none of them in two families', () => {
    const all: M2mAuthErrorCode[] = Object.values(FAMILIES).flatMap(
      (f) => f.codes as M2mAuthErrorCode[],
    );
    for (const code of all) expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
    expect(new Set(all).size).toBe(all.length);
  });

  it('names every family in the overview table of ERRORS.md', () => {
    const overview = errorsMdSection('# @m2m-auth/server errors');
    for (const name of Object.keys(FAMILIES)) expect(overview).toContain(`| \`${name}\` |`);
  });

  it('documents every CLI exit status, and no other', () => {
    const rows = [
      ...errorsMdSection('CLI exit codes').matchAll(/^\| (\d+) \| `([A-Z_]+)` \|/gm),
    ].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual({ ...CLI_EXIT_CODES });
  });

  it('keeps the cause, never in the message', () => {
    const cause = new Error('driver detail');
    const err = new StoreError('ERR_DATABASE_ERROR', 'cannot open the database', { cause });
    expect(err.cause).toBe(cause);
    expect(err.message).not.toContain('driver detail');
  });
});
