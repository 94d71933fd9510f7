import {
  AUTH_SERVER_ERRORS,
  AuthServerError,
  type AuthServerErrorCode,
} from '@m2m-auth/server/errors';
import { describe, expect, it } from 'vitest';
import { errorsMdSection } from './helpers/errors-md.js';

describe('AuthServerError', () => {
  it('carries the fixed wire form of its code and keeps the cause private', () => {
    const err = new AuthServerError('ERR_CLIENT_AUTH_FAILED', { cause: 'secret mismatch' });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_CLIENT_AUTH_FAILED');
    expect(err.error).toBe('invalid_client');
    expect(err.status).toBe(401);
    expect(err.cause).toBe('secret mismatch');
    expect(JSON.stringify(err)).toBe(
      '{"error":"invalid_client","error_description":"Client authentication failed."}',
    );
  });

  it('maps every code to an RFC error value and an HTTP error status', () => {
    for (const [code, definition] of Object.entries(AUTH_SERVER_ERRORS)) {
      expect(code).toMatch(/^ERR_[A-Z_]+$/);
      expect(definition.status).toBeGreaterThanOrEqual(400);
      expect(definition.status).toBeLessThan(600);
      // A fixed description never interpolates input.
      expect(definition.description).not.toMatch(/\$\{|%s/);
    }
  });
});

describe('ERRORS.md', () => {
  it('lists exactly the AuthServerError codes, in order, with their error and status', () => {
    const rows = [
      ...errorsMdSection('AuthServerError').matchAll(
        /^\|\s*`([A-Z_]+)`\s*\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm,
      ),
    ].map((m) => ({ code: m[1], error: m[2], status: Number(m[3]) }));
    const expected = (Object.keys(AUTH_SERVER_ERRORS) as AuthServerErrorCode[]).map((code) => ({
      code,
      error: AUTH_SERVER_ERRORS[code].error,
      status: AUTH_SERVER_ERRORS[code].status,
    }));
    expect(rows).toEqual(expected);
  });
});
