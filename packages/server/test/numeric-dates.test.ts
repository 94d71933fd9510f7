/**
 * The server reads no exp/iat/nbf from tokens (it only issues them), so its side of the NumericDate
 * rule is at issuance: `iat` and `exp` are non-negative integers no later than 253402300799
 * (9999-12-31T23:59:59Z), the range `@m2m-auth/verifier` accepts; an issue time outside it is a
 * TypeError, never a token that verifiers refuse as malformed.
 */
import { issueAccessToken } from '@m2m-auth/server/tokens';
import { decodeJwt, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';

const MAX = 253_402_300_799;

async function issueAt(nowSec: number, expiresInSec = 60) {
  const { privateKey } = await generateKeyPair('ES256');
  return issueAccessToken(
    { kid: 'k', alg: 'ES256', key: privateKey },
    { issuer: 'https://i', clientId: 'c', audience: 'a', scopes: [], expiresInSec, nowSec },
  );
}

describe('issueAccessToken numeric dates', () => {
  it('refuses an issue time that is not a non-negative integer', async () => {
    for (const nowSec of [1e300, -1, 1_900_000_000.5, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await expect(issueAt(nowSec)).rejects.toThrow(TypeError);
    }
  });

  it('refuses an exp beyond year 9999 and issues up to it', async () => {
    await expect(issueAt(MAX - 59)).rejects.toThrow(/beyond 253402300799/);
    const issued = await issueAt(MAX - 60);
    expect(decodeJwt(issued.accessToken)).toMatchObject({ iat: MAX - 60, exp: MAX });
  });
});
