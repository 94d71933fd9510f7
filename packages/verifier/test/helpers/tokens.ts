/**
 * Test keys and tokens. Valid tokens are minted with jose exactly as the m2m-auth server does
 * (RFC 9068 header and claims); hostile tokens are signed over hand-written bytes with
 * node:crypto, since jose would never produce them.
 */
import { generateKeyPairSync, KeyObject, sign as nodeSign, randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

export const ISSUER = 'https://auth.test';
export const AUDIENCE = 'ms_doctor';
export const CLIENT_ID = 'ms_reception';

export type TestAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface TestKey {
  readonly alg: TestAlg;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicPem: string;
  /** Public JWK with kid, alg and use: sig, as the server publishes it. */
  readonly publicJwk: JWK;
}

let counter = 0;

export async function createTestKey(
  alg: TestAlg = 'RS256',
  options: { kid?: string; modulusLength?: number } = {},
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(options.modulusLength === undefined ? {} : { modulusLength: options.modulusLength }),
  });
  const kid = options.kid ?? `kid-${alg}-${++counter}`;
  const jwk = await exportJWK(publicKey);
  return {
    alg,
    kid,
    privateKey,
    publicKey,
    publicPem: await exportSPKI(publicKey),
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
  };
}

/** Claims of a valid RFC 9068 token, now. */
export function validClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: CLIENT_ID,
    aud: AUDIENCE,
    exp: now + 900,
    iat: now,
    jti: randomUUID(),
    client_id: CLIENT_ID,
    scope: 'doctors:read patients:read',
    ...overrides,
  };
}

/** A valid token signed with jose, optionally with changed claims or header members. */
export async function mintToken(
  key: TestKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload = Object.fromEntries(
    Object.entries(validClaims(claims)).filter(([, value]) => value !== undefined),
  );
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header } as never)
    .sign(key.privateKey);
}

export function b64url(text: string | Uint8Array): string {
  return Buffer.from(text).toString('base64url');
}

/**
 * Signs arbitrary header and payload text (duplicate members, odd types…) with the key, through
 * node:crypto: the signature is valid, so only the verifier's own checks can reject the token.
 */
export function signRaw(key: TestKey, headerJson: string, payloadJson: string): string {
  const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  return `${input}.${signInput(key, input)}`;
}

/** The base64url signature of a signing input with the key's algorithm. */
export function signInput(key: TestKey, input: string): string {
  const privateKey = KeyObject.from(key.privateKey);
  const data = Buffer.from(input);
  let signature: Buffer;
  switch (key.alg) {
    case 'RS256':
      signature = nodeSign('sha256', data, privateKey);
      break;
    case 'PS256':
      signature = nodeSign('sha256', data, { key: privateKey, padding: 6, saltLength: 32 });
      break;
    case 'ES256':
      signature = nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      break;
    case 'EdDSA':
      signature = nodeSign(null, data, privateKey);
      break;
  }
  return signature.toString('base64url');
}

/** A standard header JSON for {@link signRaw}. */
export function headerJson(key: TestKey, extra = ''): string {
  return `{"alg":"${key.alg}","typ":"at+jwt","kid":"${key.kid}"${extra}}`;
}

/** The claims JSON of a valid token for {@link signRaw}. */
export function claimsJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(validClaims(overrides));
}

/**
 * A 1024-bit RSA public key (PEM and JWK): jose refuses to generate one, node:crypto does.
 */
export function weakRsaKey(kid = 'weak-rsa'): { pem: string; jwk: JWK; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return {
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' },
    privateKey,
  };
}
