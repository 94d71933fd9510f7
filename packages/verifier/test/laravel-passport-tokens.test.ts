/**
 * Passport mode against real Laravel Passport tokens (league/oauth2-server 9.3 and 8.5 with
 * lcobucci/jwt 5.4), from test/fixtures/passport (a copy of ../shared/fixtures/passport; see its
 * README): header typ JWT without kid, aud = the calling client's id, `scopes` array, microsecond
 * fractions in iat/nbf/exp, no iss.
 * Time is fixed with the verifier's `currentDate`, so the tests outlive the tokens' real expiry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVerifier, type Verifier, type VerifierOptions } from '@m2m-auth/verifier';
import { describe, expect, it } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import { AUDIENCE, ISSUER } from './helpers/tokens.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'passport');

interface PassportFixture {
  token: string;
  flavor: 'v8' | 'v9';
  issued_with: { client_id: string; scopes: string[]; expired: boolean };
  expected: {
    header: Record<string, unknown>;
    claims: Record<string, unknown>;
    iat_nbf_window: [number, number];
  };
  valid: boolean;
}

const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'tokens.json'), 'utf8')) as {
  generated_at: number;
  tokens: Record<string, PassportFixture>;
};
const entries = Object.entries(fixtures.tokens);
/** "A little after generated_at": one minute later. */
const NOW = new Date((fixtures.generated_at + 60) * 1000);

function passportVerifier(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    tokenFormat: 'passport',
    publicKeyPath: join(FIXTURES, 'oauth-public.key'),
    logger: false,
    ...options,
  });
}

describe('real Laravel Passport tokens in passport mode', () => {
  it('has both valid and invalid fixtures to test', () => {
    expect(entries.filter(([, f]) => f.valid).length).toBeGreaterThanOrEqual(8);
    expect(entries.filter(([, f]) => !f.valid).length).toBeGreaterThanOrEqual(2);
  });

  for (const [name, fixture] of entries.filter(([, f]) => f.valid)) {
    it(`accepts ${name} with the issuing client as clientId and its scopes`, async () => {
      const header = JSON.parse(
        Buffer.from(fixture.token.split('.')[0] as string, 'base64url').toString(),
      );
      expect(header).toEqual(fixture.expected.header);
      const verifier = passportVerifier();
      const auth = await verifier.authenticate(`Bearer ${fixture.token}`, { currentDate: NOW });
      expect(auth.clientId).toBe(fixture.issued_with.client_id);
      expect(auth.scopes).toEqual(fixture.issued_with.scopes);
      expect(auth.claims).toMatchObject(fixture.expected.claims);
      expect(auth.claims.iss).toBeUndefined();
    });
  }

  for (const [name, fixture] of entries.filter(([, f]) => !f.valid)) {
    it(`rejects ${name} as expired`, async () => {
      expect(fixture.issued_with.expired).toBe(true);
      const verifier = passportVerifier();
      expect(await codeOf(verifier.verify(fixture.token, { currentDate: NOW }))).toBe(
        'ERR_TOKEN_EXPIRED',
      );
    });
  }

  it('accepts a fresh token within the second it was issued, without rounding now down', async () => {
    const verifier = passportVerifier({ clockToleranceSec: 0, tokenCache: false });
    for (const [, fixture] of entries.filter(([, f]) => f.valid)) {
      const [, lastIssue] = fixture.expected.iat_nbf_window;
      const justAfter = new Date(Math.ceil(lastIssue * 1000));
      expect(await codeOf(verifier.verify(fixture.token, { currentDate: justAfter }))).toBe(
        'accepted',
      );
      // And the token is not valid a few milliseconds before it was issued.
      const justBefore = new Date(Math.floor(fixture.expected.iat_nbf_window[0] * 1000) - 5);
      expect(await codeOf(verifier.verify(fixture.token, { currentDate: justBefore }))).toBe(
        'ERR_TOKEN_NOT_YET_VALID',
      );
    }
  });

  it('accepts the fixtures with the public key given as PEM text too', async () => {
    const verifier = passportVerifier({
      publicKeyPath: undefined,
      publicKey: readFileSync(join(FIXTURES, 'oauth-public.key'), 'utf8'),
    });
    const fixture = fixtures.tokens['v9_doctors_read'] as PassportFixture;
    expect(await codeOf(verifier.verify(fixture.token, { currentDate: NOW }))).toBe('accepted');
  });

  it('limits callers to the configured client ids when audience is set', async () => {
    const verifier = passportVerifier({ audience: ['12'] });
    const v8 = fixtures.tokens['v8_doctors_read'] as PassportFixture;
    const v9 = fixtures.tokens['v9_doctors_read'] as PassportFixture;
    expect(await codeOf(verifier.verify(v8.token, { currentDate: NOW }))).toBe('accepted');
    expect(await codeOf(verifier.verify(v9.token, { currentDate: NOW }))).toBe(
      'ERR_AUDIENCE_INVALID',
    );
  });

  it('grants every scope to a * token, as Passport does, and compares other scopes exactly', async () => {
    const verifier = passportVerifier();
    const star = fixtures.tokens['v9_star'] as PassportFixture;
    const read = fixtures.tokens['v9_doctors_read'] as PassportFixture;
    const none = fixtures.tokens['v9_no_scopes'] as PassportFixture;
    const options = { currentDate: NOW, scopes: ['patients:write'] };
    expect(await codeOf(verifier.verify(star.token, options))).toBe('accepted');
    expect(await codeOf(verifier.verify(read.token, options))).toBe('ERR_INSUFFICIENT_SCOPE');
    expect(await codeOf(verifier.verify(none.token, options))).toBe('ERR_INSUFFICIENT_SCOPE');
    expect(
      await codeOf(verifier.verify(read.token, { currentDate: NOW, scopes: ['doctors:read'] })),
    ).toBe('accepted');
  });

  it('rejects a tampered Passport token', async () => {
    const fixture = fixtures.tokens['v9_doctors_read'] as PassportFixture;
    const [header, payload, signature] = fixture.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.scopes = ['*'];
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(await codeOf(passportVerifier().verify(forged, { currentDate: NOW }))).toBe(
      'ERR_SIGNATURE_INVALID',
    );
  });

  it('rejects Passport tokens in the default RFC 9068 mode (typ JWT, no iss)', async () => {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKeyPath: join(FIXTURES, 'oauth-public.key'),
      logger: false,
    });
    const fixture = fixtures.tokens['v9_doctors_read'] as PassportFixture;
    expect(await codeOf(verifier.verify(fixture.token, { currentDate: NOW }))).toBe(
      'ERR_TOKEN_TYPE_INVALID',
    );
  });

  it('requires iss in passport mode when an issuer is configured', async () => {
    const verifier = passportVerifier({ issuer: 'https://passport.test' });
    const fixture = fixtures.tokens['v8_doctors_read'] as PassportFixture;
    expect(await codeOf(verifier.verify(fixture.token, { currentDate: NOW }))).toBe(
      'ERR_ISSUER_INVALID',
    );
  });
});
