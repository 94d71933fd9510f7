/**
 * Client assertions (RFC 7523 §2.2) for tests, signed with node:crypto so that any header or
 * payload — malformed ones included — can be produced; the server verifies them with jose.
 */
import { constants, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';

export type AssertionAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM of the public key. */
  publicPem: string;
  /** PKCS#8 PEM of the private key. */
  privatePem: string;
}

/** A fresh key pair for `alg`. */
export function generateTestKeyPair(alg: AssertionAlg): TestKeyPair {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...pair,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Signs `signingInput` (ASCII) per RFC 7518 §3 / RFC 8037 §3.1. */
export function signInput(signingInput: string, alg: string, key: KeyObject): string {
  const data = Buffer.from(signingInput, 'ascii');
  switch (alg) {
    case 'RS256':
      return sign('sha256', data, key).toString('base64url');
    case 'PS256':
      return sign('sha256', data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      }).toString('base64url');
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    case 'EdDSA':
      return sign(null, data, key).toString('base64url');
    default:
      throw new Error(`test signer: no ${alg}`);
  }
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/**
 * A compact JWS of raw header and payload JSON texts (so duplicate members can be written).
 */
export function signRaw(
  headerJson: string,
  payloadJson: string,
  key: KeyObject,
  alg: string,
): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${signInput(input, alg, key)}`;
}

/** The claims of a valid assertion for `clientId` to `audience`, overridable. */
export function assertionClaims(
  clientId: string,
  audience: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: audience,
    iat: now,
    exp: now + 30,
    jti: randomUUID(),
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

/** Signs an assertion: header `{alg, typ: 'JWT'}` plus `headerExtra`, and `claims`. */
export function signAssertion(
  claims: Record<string, unknown>,
  key: KeyObject,
  alg: string,
  headerExtra: Record<string, unknown> = {},
): string {
  const header: Record<string, unknown> = { alg, typ: 'JWT', ...headerExtra };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return signRaw(JSON.stringify(header), JSON.stringify(claims), key, alg);
}

/** The form parameters of a token request authenticated by `assertion`. */
export function assertionParams(
  assertion: string,
  extra: [string, string][] = [],
): [string, string][] {
  return [
    ['grant_type', 'client_credentials'],
    ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
    ['client_assertion', assertion],
    ...extra,
  ];
}
