/**
 * ERRORS.md and the code agree: the same codes in the same order, each with the status, RFC 6750
 * `error` attribute and body `error` the code answers with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  getVerifierErrorInfo,
  isVerifierError,
  VERIFIER_ERROR_CODES,
  VerifierError,
  type VerifierErrorCode,
} from '@m2m-auth/verifier';
import * as errorsEntry from '@m2m-auth/verifier/errors';
import { describe, expect, it } from 'vitest';

const table = readFileSync(join(import.meta.dirname, '..', 'ERRORS.md'), 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('| `ERR_'))
  .map((line) => {
    const cells = line.split('|').map((cell) => cell.trim());
    const unquote = (cell: string | undefined) => cell?.replace(/^`|`$/g, '');
    return {
      code: unquote(cells[1]) as VerifierErrorCode,
      status: Number(cells[2]),
      bearerError: cells[3] === '—' ? undefined : unquote(cells[3]),
      bodyError: unquote(cells[4]),
    };
  });

describe('ERRORS.md', () => {
  it('lists exactly the codes of the VerifierErrorCode union, in order', () => {
    expect(table.map((row) => row.code)).toEqual([...VERIFIER_ERROR_CODES]);
  });

  it('gives each code the status, error attribute and body error it answers with', () => {
    for (const row of table) {
      const info = getVerifierErrorInfo(row.code);
      const { code, ...expected } = row;
      expect({ code, ...info }).toEqual({ code, ...expected });
      const err = new VerifierError(row.code, 'reason');
      expect(err.status).toBe(row.status);
      expect(err.bearerError).toBe(row.bearerError);
    }
  });
});

describe('VerifierError', () => {
  it('is exported from the errors subpath as the same class', () => {
    expect(errorsEntry.VerifierError).toBe(VerifierError);
    expect(errorsEntry.VERIFIER_ERROR_CODES).toBe(VERIFIER_ERROR_CODES);
  });

  it('carries code, claim, required scopes and cause, and is recognised by isVerifierError', () => {
    const cause = new Error('inner');
    const err = new VerifierError('ERR_CLAIM_INVALID', 'exp claim is missing', {
      claim: 'exp',
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('VerifierError');
    expect(err.claim).toBe('exp');
    expect(err.cause).toBe(cause);
    expect(isVerifierError(err)).toBe(true);
    expect(isVerifierError(new Error('x'))).toBe(false);
    const lookalike = Object.assign(new Error('x'), { name: 'VerifierError', code: 'ERR_NOPE' });
    expect(isVerifierError(lookalike)).toBe(false);
  });
});
