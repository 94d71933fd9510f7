/**
 * A receiver's refusal used to say `aud claim names none of the expected audiences` or `token is
 * issued in the future (iat claim)` and nothing else. The error now carries what was expected and
 * what the token held (audience, issuer, the clock difference in seconds, the kid) in `details`,
 * and the receiver's log line says it — never the token; the HTTP answer stays as it was. A token
 * whose kid is not in the key file is reported as such ("is the file stale?"), not as a bad
 * signature.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBearerErrorResponse,
  createVerifier,
  describeVerifierError,
  type VerifierError,
  type VerifierOptions,
} from '@m2m-auth/verifier';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIENCE, createTestKey, ISSUER, mintToken, type TestKey } from './helpers/tokens.js';

const NOW = Date.parse('2030-01-01T00:00:00Z') / 1000;
let dir: string;
let lines: string[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000);
  dir = mkdtempSync(join(tmpdir(), 'verifier-details-'));
  lines = [];
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const logger = {
  warn: (message: string) => lines.push(`warn ${message}`),
  info: (message: string) => lines.push(`info ${message}`),
};

async function refusal(
  key: TestKey,
  token: string,
  options: Partial<VerifierOptions> = {},
): Promise<VerifierError> {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKey: key.publicPem,
    logger,
    ...options,
  } as VerifierOptions);
  return verifier.authenticate(`Bearer ${token}`).then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err as VerifierError,
  );
}

/** The token never appears in the error, its details or the log. */
function expectNoToken(token: string, err: VerifierError): void {
  const [, payload, signature] = token.split('.');
  for (const text of [err.message, JSON.stringify(err.details), ...lines]) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(payload);
    expect(text).not.toContain(signature);
  }
}

async function thumbprint(key: TestKey): Promise<string> {
  const { kid: _kid, alg: _alg, use: _use, ...jwk } = key.publicJwk;
  return calculateJwkThumbprint(jwk as JWK, 'sha256');
}

describe('verifier errors say what was expected and what was received', () => {
  it('audience: expected and received in details and the log line; the wire text unchanged', async () => {
    const key = await createTestKey('ES256');
    const token = await mintToken(key, { aud: 'ms_college' });
    const err = await refusal(key, token);
    expect(err.code).toBe('ERR_AUDIENCE_INVALID');
    expect(err.message).toBe('aud claim names none of the expected audiences');
    expect(err.details).toEqual({
      expectedAudiences: ['ms_doctor'],
      receivedAudiences: ['ms_college'],
    });
    expect(createBearerErrorResponse(err).body).toEqual({
      error: 'invalid_token',
      error_description: 'aud claim names none of the expected audiences',
    });
    expect(lines).toEqual([
      'info @m2m-auth/verifier: token refused: aud claim names none of the expected audiences (expected audience ["ms_doctor"], received ["ms_college"])',
    ]);
    expectNoToken(token, err);
  });

  it('issuer', async () => {
    const key = await createTestKey('ES256');
    const token = await mintToken(key, { iss: 'http://127.0.0.1:8080' });
    const err = await refusal(key, token);
    expect(err.code).toBe('ERR_ISSUER_INVALID');
    expect(err.message).toBe('iss claim is not the expected issuer');
    expect(err.details).toEqual({
      expectedIssuer: ISSUER,
      receivedIssuer: 'http://127.0.0.1:8080',
    });
    expect(lines).toEqual([
      `info @m2m-auth/verifier: token refused: iss claim is not the expected issuer (expected issuer "${ISSUER}", received "http://127.0.0.1:8080")`,
    ]);
    expectNoToken(token, err);
  });

  it('a clock 42 s behind the issuer: iat in the future, with the difference in seconds', async () => {
    const key = await createTestKey('ES256');
    const token = await mintToken(key, { iat: NOW + 42 });
    const err = await refusal(key, token, { clockToleranceSec: 5 });
    expect(err.code).toBe('ERR_TOKEN_NOT_YET_VALID');
    expect(err.message).toBe('token is issued in the future (iat claim)');
    expect(err.details).toEqual({ timeClaim: 'iat', clockDifferenceSec: 42, clockToleranceSec: 5 });
    expect(lines).toEqual([
      'info @m2m-auth/verifier: token refused: token is issued in the future (iat claim) (iat claim is 42 s ahead of this clock (tolerance 5 s))',
    ]);
  });

  it('an expired token: how long ago, also on a cache hit', async () => {
    const key = await createTestKey('ES256');
    const token = await mintToken(key, { iat: NOW - 100, exp: NOW - 30 });
    const err = await refusal(key, token, { clockToleranceSec: 0 });
    expect(err.code).toBe('ERR_TOKEN_EXPIRED');
    expect(err.details).toEqual({
      timeClaim: 'exp',
      clockDifferenceSec: -30,
      clockToleranceSec: 0,
    });
    expect(describeVerifierError(err)).toBe(
      'token expired (exp claim) (exp claim is 30 s behind this clock (tolerance 0 s))',
    );

    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      clockToleranceSec: 0,
      logger,
    });
    const fresh = await mintToken(key, { iat: NOW, exp: NOW + 10 });
    await verifier.authenticate(`Bearer ${fresh}`);
    vi.setSystemTime((NOW + 12) * 1000);
    const cached = await verifier.authenticate(`Bearer ${fresh}`).catch((e: VerifierError) => e);
    expect((cached as VerifierError).details).toEqual({
      timeClaim: 'exp',
      clockDifferenceSec: -2,
      clockToleranceSec: 0,
    });
  });

  it('errors that no setting causes carry no details and log nothing', async () => {
    const key = await createTestKey('ES256');
    const err = await refusal(key, 'not-a-token');
    expect(err.code).toBe('ERR_TOKEN_MALFORMED');
    expect(err.details).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('quotes hostile claim values so they cannot forge log lines', async () => {
    const key = await createTestKey('ES256');
    const token = await mintToken(key, { aud: 'x\ninfo forged line' });
    await refusal(key, token);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('received ["x\\ninfo forged line"]');
    expect(lines[0]).not.toContain('\n');
  });
});

describe('a key file that does not hold the token kid', () => {
  it('PEM file: a token of a newer key is reported as an unknown kid, not a bad signature', async () => {
    const old = await createTestKey('ES256');
    const current = await createTestKey('ES256');
    const file = join(dir, 'oauth-public.key');
    writeFileSync(file, old.publicPem);
    const kid = await thumbprint(current);
    const token = await mintToken(current, {}, { kid });
    const err = await refusal(old, token, { publicKey: undefined, publicKeyPath: file });
    expect(err.code).toBe('ERR_KEY_UNKNOWN');
    expect(err.message).toBe('no trusted key matches the token kid');
    expect(err.details).toEqual({
      kid,
      keySource: `key file ${file}`,
      knownKids: [await thumbprint(old)],
    });
    expect(lines).toEqual([
      `info @m2m-auth/verifier: token refused: no trusted key matches the token kid (no key with kid "${kid}" in ${file}; is the file stale? (it holds ["${await thumbprint(old)}"]))`,
    ]);
    expectNoToken(token, err);
  });

  it('PEM file: a forged token with the key file own kid still fails on its signature', async () => {
    const trusted = await createTestKey('ES256');
    const attacker = await createTestKey('ES256');
    const file = join(dir, 'oauth-public.key');
    writeFileSync(file, trusted.publicPem);
    const token = await mintToken(attacker, {}, { kid: await thumbprint(trusted) });
    const err = await refusal(trusted, token, { publicKey: undefined, publicKeyPath: file });
    expect(err.code).toBe('ERR_SIGNATURE_INVALID');
    expect(err.message).toBe('token signature is invalid');
  });

  it('PEM file: a token with any other kid but a good signature is accepted as before', async () => {
    const key = await createTestKey('ES256');
    const file = join(dir, 'oauth-public.key');
    writeFileSync(file, key.publicPem);
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKeyPath: file,
      logger,
    });
    const token = await mintToken(key, {}, { kid: 'some-other-kid' });
    await expect(verifier.authenticate(`Bearer ${token}`)).resolves.toBeDefined();
  });

  it('JWKS file: the log line names the file and the kids it holds', async () => {
    const old = await createTestKey('ES256');
    const current = await createTestKey('ES256');
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [old.publicJwk] }));
    const token = await mintToken(current);
    const err = await refusal(old, token, { publicKey: undefined, publicKeyPath: file });
    expect(err.code).toBe('ERR_KEY_UNKNOWN');
    expect(err.details).toEqual({
      kid: current.kid,
      keySource: `key file ${file}`,
      knownKids: [old.kid],
    });
    expect(lines.at(-1)).toBe(
      `info @m2m-auth/verifier: token refused: no trusted key matches the token kid (no key with kid "${current.kid}" in ${file}; is the file stale? (it holds ["${old.kid}"]))`,
    );
  });
});
