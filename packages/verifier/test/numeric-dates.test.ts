/**
 * exp, iat and nbf are NumericDates (RFC 7519 §2) within a range where a double holds them, their
 * fraction and the clock tolerance exactly: 0 to 253402300799 (9999-12-31T23:59:59Z). Outside it a
 * token is malformed (ERR_CLAIM_INVALID naming the claim), never "valid forever". Tokens are
 * signed over the exact JSON text, so literals such as 1e300 or 2^53 + 1 reach the verifier as
 * written.
 */
import { createVerifier, type Verifier, VerifierError } from '@m2m-auth/verifier';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  claimsJson,
  createTestKey,
  headerJson,
  ISSUER,
  signRaw,
  type TestKey,
} from './helpers/tokens.js';

let key: TestKey;
let verifier: Verifier;

beforeAll(async () => {
  key = await createTestKey('ES256');
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKey: key.publicPem,
    logger: false,
    tokenCache: false,
  });
});

/** The valid claims with one member's JSON value replaced by the literal text given. */
function withLiteral(claim: 'exp' | 'iat' | 'nbf', literal: string): string {
  const json = claimsJson({ [claim]: 123 });
  return signRaw(key, headerJson(key), json.replace(`"${claim}":123`, `"${claim}":${literal}`));
}

async function claimOfFailure(token: string): Promise<string | undefined> {
  try {
    await verifier.verify(token);
  } catch (err) {
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as VerifierError).code).toBe('ERR_CLAIM_INVALID');
    return (err as VerifierError).claim;
  }
  throw new Error('expected ERR_CLAIM_INVALID');
}

describe('NumericDate range', () => {
  it('refuses an exp beyond the range instead of treating it as valid forever', async () => {
    for (const literal of ['1e300', '9007199254740993', '253402300800', '1.7976931348623157e308']) {
      expect(await claimOfFailure(withLiteral('exp', literal))).toBe('exp');
    }
  });

  it('refuses negative dates', async () => {
    expect(await claimOfFailure(withLiteral('exp', '-1'))).toBe('exp');
    expect(await claimOfFailure(withLiteral('iat', '-1'))).toBe('iat');
    expect(await claimOfFailure(withLiteral('nbf', '-0.5'))).toBe('nbf');
  });

  it('refuses nbf and iat beyond the range as malformed, not as "not yet valid"', async () => {
    expect(await claimOfFailure(withLiteral('nbf', '1e300'))).toBe('nbf');
    expect(await claimOfFailure(withLiteral('iat', '9007199254740993'))).toBe('iat');
  });

  it('accepts integers and decimals within the range, up to the last second of year 9999', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [claim, literal] of [
      ['exp', '253402300799'],
      ['exp', `${now + 600}.25`],
      ['iat', `${now - 1}.5`],
      ['nbf', '0'],
      ['nbf', `${now}.999`],
    ] as const) {
      await expect(verifier.verify(withLiteral(claim, literal))).resolves.toMatchObject({
        aud: AUDIENCE,
      });
    }
  });
});
