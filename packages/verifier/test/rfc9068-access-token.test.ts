import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createVerifier,
  type Verifier,
  VerifierError,
  type VerifierErrorCode,
} from '@m2m-auth/verifier';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/async.js';
import {
  AUDIENCE,
  b64url,
  CLIENT_ID,
  claimsJson,
  createTestKey,
  headerJson,
  ISSUER,
  mintToken,
  signInput,
  signRaw,
  type TestAlg,
  type TestKey,
  weakRsaKey,
} from './helpers/tokens.js';

async function expectCode(
  promise: Promise<unknown>,
  code: VerifierErrorCode,
): Promise<VerifierError> {
  const err = await rejection(promise, VerifierError);
  expect(err.code).toBe(code);
  return err;
}

function verifierFor(key: TestKey, options: Record<string, unknown> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKey: key.publicPem,
    ...(key.alg === 'PS256' ? { algorithms: ['PS256'] } : {}),
    logger: false,
    ...options,
  });
}

describe('valid RFC 9068 access tokens', () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA', 'PS256'] as TestAlg[]) {
    it(`accepts a ${alg} token and returns its claims`, async () => {
      const key = await createTestKey(alg);
      const token = await mintToken(key);
      const claims = await verifierFor(key).verify(token);
      expect(claims).toMatchObject({
        iss: ISSUER,
        aud: AUDIENCE,
        client_id: CLIENT_ID,
        scope: 'doctors:read patients:read',
      });
    });
  }

  it('authenticates a Bearer header into clientId, scopes and claims', async () => {
    const key = await createTestKey('ES256');
    const token = await mintToken(key);
    const auth = await verifierFor(key).authenticate(`Bearer ${token}`);
    expect(auth.clientId).toBe(CLIENT_ID);
    expect(auth.scopes).toEqual(['doctors:read', 'patients:read']);
    expect(auth.claims.sub).toBe(CLIENT_ID);
    expect(Object.isFrozen(auth)).toBe(true);
    expect(Object.isFrozen(auth.claims)).toBe(true);
  });

  it('accepts an aud array that names this service among others', async () => {
    const key = await createTestKey();
    const token = await mintToken(key, { aud: ['ms_billing', AUDIENCE] });
    await expect(verifierFor(key).verify(token)).resolves.toMatchObject({ client_id: CLIENT_ID });
  });

  it('accepts one of several configured audiences', async () => {
    const key = await createTestKey();
    const token = await mintToken(key, { aud: 'doctor-api' });
    const verifier = verifierFor(key, { audience: [AUDIENCE, 'doctor-api'] });
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('accepts typ application/at+jwt and any casing of it', async () => {
    const key = await createTestKey();
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      const token = await mintToken(key, {}, { typ });
      await expect(verifierFor(key).verify(token)).resolves.toBeDefined();
    }
  });

  it('accepts a token without scope as granting no scopes', async () => {
    const key = await createTestKey();
    const token = await mintToken(key, { scope: '' });
    expect((await verifierFor(key).authenticate(`Bearer ${token}`)).scopes).toEqual([]);
  });

  it('accepts a token expired less than clockToleranceSec ago', async () => {
    const key = await createTestKey();
    const now = Math.floor(Date.now() / 1000);
    const token = await mintToken(key, { iat: now - 120, exp: now - 20 });
    await expect(verifierFor(key).verify(token)).resolves.toBeDefined();
    await expectCode(verifierFor(key, { clockToleranceSec: 0 }).verify(token), 'ERR_TOKEN_EXPIRED');
  });
});

describe('rejected tokens, each with its reason', () => {
  let key: TestKey;
  let verifier: Verifier;
  beforeAll(async () => {
    key = await createTestKey('RS256');
    verifier = verifierFor(key);
  });

  it('rejects alg none in any casing, signed or not', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64url(`{"alg":"${alg}","typ":"at+jwt"}`)}.${b64url(claimsJson())}.`;
      await expectCode(verifier.verify(unsigned), 'ERR_TOKEN_MALFORMED');
      const withSignature = `${unsigned}${b64url('x')}`;
      await expectCode(verifier.verify(withSignature), 'ERR_ALGORITHM_NOT_ALLOWED');
    }
  });

  it('rejects an HS256 token whose HMAC secret is the public key PEM', async () => {
    const token = await new SignJWT({ ...JSON.parse(claimsJson()) })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })
      .sign(new TextEncoder().encode(key.publicPem));
    await expectCode(verifier.verify(token), 'ERR_ALGORITHM_NOT_ALLOWED');
  });

  it('refuses to be configured with none or an HMAC algorithm', () => {
    for (const alg of ['none', 'HS256']) {
      expect(() => verifierFor(key, { algorithms: [alg] })).toThrow(TypeError);
    }
  });

  it('ignores a key embedded in the header (jwk) and checks the configured key', async () => {
    const attacker = await createTestKey('RS256', { kid: key.kid });
    const jwk = await exportJWK(attacker.publicKey);
    const token = await mintToken(attacker, {}, { jwk });
    await expectCode(verifier.verify(token), 'ERR_SIGNATURE_INVALID');
  });

  it('never fetches keys from jku or x5u headers, nor uses x5c', async () => {
    const attacker = await createTestKey('RS256', { kid: key.kid });
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end(JSON.stringify({ keys: [attacker.publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    try {
      const forged = await mintToken(
        attacker,
        {},
        { jku: url, x5u: url, x5c: [Buffer.from('not a certificate').toString('base64')] },
      );
      await expectCode(verifier.verify(forged), 'ERR_SIGNATURE_INVALID');
      // A genuine token carrying these headers still verifies: they are ignored, not trusted.
      const genuine = await mintToken(key, {}, { jku: url, x5u: url });
      await expect(verifier.verify(genuine)).resolves.toBeDefined();
      expect(hits).toBe(0);
    } finally {
      server.close();
    }
  });

  it('rejects a tampered payload', async () => {
    const [header, , signature] = (await mintToken(key)).split('.');
    const payload = b64url(claimsJson({ scope: 'doctors:read doctors:write' }));
    await expectCode(verifier.verify(`${header}.${payload}.${signature}`), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a signature from another key', async () => {
    const other = await createTestKey('RS256', { kid: key.kid });
    await expectCode(verifier.verify(await mintToken(other)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects an ES256 token for an RSA key as an algorithm the key does not have', async () => {
    const ec = await createTestKey('ES256');
    await expectCode(verifier.verify(await mintToken(ec)), 'ERR_ALGORITHM_NOT_ALLOWED');
  });

  it('rejects an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await expectCode(
      verifier.verify(await mintToken(key, { iat: now - 1000, exp: now - 100 })),
      'ERR_TOKEN_EXPIRED',
    );
    expect(err.status).toBe(401);
    expect(err.bearerError).toBe('invalid_token');
  });

  it('rejects a token not valid yet (nbf) and one issued in the future (iat)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectCode(
      verifier.verify(await mintToken(key, { nbf: now + 300 })),
      'ERR_TOKEN_NOT_YET_VALID',
    );
    await expectCode(
      verifier.verify(await mintToken(key, { iat: now + 300, exp: now + 1200 })),
      'ERR_TOKEN_NOT_YET_VALID',
    );
  });

  it('rejects a wrong, differently spelled or missing iss', async () => {
    for (const iss of ['https://evil.test', `${ISSUER}/`, ISSUER.toUpperCase(), undefined]) {
      await expectCode(verifier.verify(await mintToken(key, { iss })), 'ERR_ISSUER_INVALID');
    }
  });

  it('rejects a token minted for another audience, compared as exact strings', async () => {
    for (const aud of ['ms_billing', 'MS_DOCTOR', `${AUDIENCE} `, ['ms_billing'], undefined]) {
      await expectCode(verifier.verify(await mintToken(key, { aud })), 'ERR_AUDIENCE_INVALID');
    }
  });

  it('rejects a missing exp, an exp as a string and a non-finite exp', async () => {
    let err = await expectCode(
      verifier.verify(await mintToken(key, { exp: undefined })),
      'ERR_CLAIM_INVALID',
    );
    expect(err.claim).toBe('exp');
    const far = String(Math.floor(Date.now() / 1000) + 600);
    err = await expectCode(
      verifier.verify(signRaw(key, headerJson(key), claimsJson({ exp: far }))),
      'ERR_CLAIM_INVALID',
    );
    expect(err.claim).toBe('exp');
    const infinite = claimsJson().replace(/"exp":\d+/, '"exp":1e400');
    err = await expectCode(
      verifier.verify(signRaw(key, headerJson(key), infinite)),
      'ERR_CLAIM_INVALID',
    );
    expect(err.claim).toBe('exp');
  });

  it('rejects iat and nbf that are not finite numbers', async () => {
    for (const claims of [{ iat: '1700000000' }, { nbf: true }, { nbf: null }]) {
      await expectCode(
        verifier.verify(signRaw(key, headerJson(key), claimsJson(claims))),
        'ERR_CLAIM_INVALID',
      );
    }
  });

  it('rejects tokens without the claims RFC 9068 requires', async () => {
    for (const claim of ['sub', 'client_id', 'jti', 'iat']) {
      const err = await expectCode(
        verifier.verify(await mintToken(key, { [claim]: undefined })),
        'ERR_CLAIM_INVALID',
      );
      expect(err.claim).toBe(claim);
    }
  });

  it('rejects a scope claim that is not a space-delimited string of scope tokens', async () => {
    for (const scope of [['doctors:read'], 'doctors:read  patients:read', ' doctors:read', 'a"b']) {
      const err = await expectCode(
        verifier.verify(await mintToken(key, { scope })),
        'ERR_CLAIM_INVALID',
      );
      expect(err.claim).toBe('scope');
    }
  });

  it('rejects an unknown crit header', async () => {
    const token = signRaw(key, headerJson(key, ',"crit":["exp"],"exp":1'), claimsJson());
    await expectCode(verifier.verify(token), 'ERR_TOKEN_MALFORMED');
  });

  it('rejects garbage tokens as malformed', async () => {
    const garbage = [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      '...',
      '..x',
      'é.é.é',
      'eyJ.eyJ.x',
      `${b64url('[]')}.${b64url('{}')}.AA`,
    ];
    for (const token of garbage) {
      await expectCode(verifier.verify(token), 'ERR_TOKEN_MALFORMED');
    }
    await expectCode(verifier.verify(42 as unknown as string), 'ERR_TOKEN_MALFORMED');
  });

  it('rejects an oversized token before parsing it', async () => {
    await expectCode(verifier.verify('a'.repeat(8193)), 'ERR_TOKEN_TOO_LARGE');
    const small = verifierFor(key, { maxTokenLength: 100 });
    await expectCode(small.verify(await mintToken(key)), 'ERR_TOKEN_TOO_LARGE');
  });

  it('rejects a token whose typ is not at+jwt, or that has none', async () => {
    for (const typ of ['JWT', 'jwt', 'at+jwt; q=1', undefined]) {
      await expectCode(
        verifier.verify(await mintToken(key, {}, { typ })),
        'ERR_TOKEN_TYPE_INVALID',
      );
    }
  });

  it('rejects a token older than maxTokenAgeSec', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mintToken(key, { iat: now - 600 });
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await expectCode(verifierFor(key, { maxTokenAgeSec: 300 }).verify(token), 'ERR_TOKEN_EXPIRED');
  });

  it('keeps token contents out of error messages', async () => {
    const token = await mintToken(key, { aud: 'secret-audience-name', jti: 'jti-value-1234' });
    const err = await rejection(verifier.verify(token), VerifierError);
    expect(err.message).not.toContain('secret-audience-name');
    expect(err.message).not.toContain(token.slice(0, 20));
    expect(err.message).not.toMatch(/["\\]/);
  });
});

describe('scopes', () => {
  let key: TestKey;
  beforeAll(async () => {
    key = await createTestKey('EdDSA');
  });

  it('rejects a token without a required scope with ERR_INSUFFICIENT_SCOPE and the needed scopes', async () => {
    const verifier = verifierFor(key, { requiredScopes: ['doctors:read'] });
    const token = await mintToken(key, { scope: 'patients:read' });
    const err = await expectCode(verifier.verify(token), 'ERR_INSUFFICIENT_SCOPE');
    expect(err.status).toBe(403);
    expect(err.requiredScopes).toEqual(['doctors:read']);
  });

  it('compares scopes as exact strings (no prefix, no case folding)', async () => {
    const verifier = verifierFor(key);
    for (const granted of ['doctors', 'Doctors:read', 'doctors:read:all', 'doctors:*']) {
      const token = await mintToken(key, { scope: granted });
      await expectCode(
        verifier.verify(token, { scopes: ['doctors:read'] }),
        'ERR_INSUFFICIENT_SCOPE',
      );
    }
    const token = await mintToken(key, { scope: 'x doctors:read' });
    await expect(verifier.verify(token, { scopes: ['doctors:read'] })).resolves.toBeDefined();
  });

  it('requires both the verifier-wide and the per-call scopes', async () => {
    const verifier = verifierFor(key, { requiredScopes: ['a'] });
    const err = await expectCode(
      verifier.verify(await mintToken(key, { scope: 'a' }), { scopes: ['b'] }),
      'ERR_INSUFFICIENT_SCOPE',
    );
    expect(err.requiredScopes).toEqual(['a', 'b']);
    await expect(
      verifier.verify(await mintToken(key, { scope: 'b a' }), { scopes: ['b'] }),
    ).resolves.toBeDefined();
  });
});

describe('options checked at construction', () => {
  let key: TestKey;
  afterAll(() => {
    delete process.env['OAUTH_PUBLIC_KEY_PATH'];
  });
  beforeAll(async () => {
    key = await createTestKey();
  });

  it('throws TypeError for missing issuer or audience, two key sources or no key source', () => {
    expect(() => createVerifier({ audience: AUDIENCE, publicKey: key.publicPem })).toThrow(
      /issuer/,
    );
    expect(() => createVerifier({ issuer: ISSUER, publicKey: key.publicPem })).toThrow(/audience/);
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKey: key.publicPem,
        jwksUri: 'https://auth.test/jwks',
      }),
    ).toThrow(/one key source/);
    delete process.env['OAUTH_PUBLIC_KEY_PATH'];
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE })).toThrow(/key source/);
  });

  it('refuses RSA keys under 2048 bits, private keys and unsupported curves', async () => {
    const smallPem = weakRsaKey().pem;
    expect(() => verifierFor(key, { publicKey: smallPem })).toThrow(/2048/);
    const priv = await exportPKCS8(key.privateKey);
    expect(() => verifierFor(key, { publicKey: priv })).toThrow(/not a private key/);
    const p384 = await generateKeyPair('ES384', { extractable: true });
    const p384Pem = await exportSPKI(p384.publicKey);
    expect(() => verifierFor(key, { publicKey: p384Pem })).toThrow(TypeError);
  });

  it('refuses a plain-http JWKS URL outside loopback unless allowed', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, logger: false as const };
    expect(() => createVerifier({ ...base, jwksUri: 'http://auth.internal/jwks.json' })).toThrow(
      /https/,
    );
    expect(() =>
      createVerifier({
        ...base,
        jwksUri: 'http://auth.internal/jwks.json',
        allowInsecureHttp: true,
      }),
    ).not.toThrow();
    expect(() =>
      createVerifier({ ...base, jwksUri: 'http://127.0.0.1:1/jwks.json' }),
    ).not.toThrow();
    expect(() => createVerifier({ ...base, jwksUri: 'file:///etc/passwd' })).toThrow(TypeError);
  });

  it('throws TypeError for negative durations and bad scopes', () => {
    expect(() => verifierFor(key, { clockToleranceSec: -1 })).toThrow(/clockToleranceSec/);
    expect(() => verifierFor(key, { maxTokenAgeSec: 0 })).toThrow(/maxTokenAgeSec/);
    expect(() => verifierFor(key, { requiredScopes: ['has space'] })).toThrow(/requiredScopes/);
    expect(() => verifierFor(key, { tokenCache: { maxEntries: 0 } })).toThrow(/maxEntries/);
  });
});

describe('the signing input is what jose verifies', () => {
  it('verifies a token signed over hand-written bytes (the test helper is sound)', async () => {
    const key = await createTestKey('ES256');
    const token = signRaw(key, headerJson(key), claimsJson());
    await expect(verifierFor(key).verify(token)).resolves.toBeDefined();
    const input = token.split('.').slice(0, 2).join('.');
    expect(signInput(key, input)).toHaveLength(86);
  });
});
