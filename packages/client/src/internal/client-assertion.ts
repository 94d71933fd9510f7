import {
  constants,
  createHash,
  createPrivateKey,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Algorithms the client signs assertions with (RFC 7518 §3.1/§3.5, RFC 8037). */
export type AssertionSigningAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** Lifetime of each assertion, seconds: one token request, well under the server's bound (60 s). */
export const ASSERTION_LIFETIME_SEC = 30;

/** A private key ready to sign assertions, with its algorithm and key id. */
export interface AssertionKey {
  readonly key: KeyObject;
  readonly alg: AssertionSigningAlg;
  /** RFC 7638 thumbprint of the public key: the kid the server gives a key registered without one. */
  readonly kid: string;
}

/**
 * Reads a private key (PEM text, or a KeyObject) and picks its algorithm: RSA → RS256 (or PS256
 * when asked), P-256 → ES256, Ed25519 → EdDSA.
 *
 * @throws TypeError naming `what` (never quoting the key) when it is not a usable private key.
 */
export function loadAssertionKey(
  source: string | KeyObject,
  what: string,
  alg: AssertionSigningAlg | undefined,
): AssertionKey {
  let key: KeyObject;
  try {
    key = typeof source === 'string' ? createPrivateKey(source) : source;
  } catch {
    throw new TypeError(`${what} is not a PEM private key`);
  }
  if (key.type !== 'private') throw new TypeError(`${what} is not a private key`);
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const fitting: AssertionSigningAlg[] =
    type === 'rsa'
      ? ['RS256', 'PS256']
      : type === 'ec' && curve === 'prime256v1'
        ? ['ES256']
        : type === 'ed25519'
          ? ['EdDSA']
          : [];
  if (fitting.length === 0) {
    throw new TypeError(`${what} must be an RSA, EC P-256 or Ed25519 private key`);
  }
  if (alg !== undefined && !fitting.includes(alg)) {
    throw new TypeError(`options.signingAlg ${alg} does not fit ${what} (${fitting.join(' or ')})`);
  }
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new TypeError(`${what} is an RSA key of fewer than 2048 bits`);
  }
  return { key, alg: alg ?? (fitting[0] as AssertionSigningAlg), kid: thumbprint(key) };
}

/**
 * Reads a private key file (`privateKeyPath`, `OAUTH_CLIENT_KEY_PATH`).
 *
 * @throws TypeError naming the file when it cannot be read or holds no usable key.
 */
export function readAssertionKeyFile(
  path: string,
  what: string,
  alg: AssertionSigningAlg | undefined,
): AssertionKey {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new TypeError(`${what} ${path} cannot be read (${code})`);
  }
  return loadAssertionKey(pem, `${what} ${path}`, alg);
}

/**
 * A fresh client assertion (RFC 7523 §2.2, §3): `iss` = `sub` = the client_id, `aud` = the
 * authorization server's issuer identifier (as the revision of RFC 7523 requires), a new `jti`,
 * `iat` now and `exp` {@link ASSERTION_LIFETIME_SEC} later. Signed with node:crypto.
 */
export function signClientAssertion(
  key: AssertionKey,
  clientId: string,
  audience: string,
  nowSec = Math.floor(Date.now() / 1000),
): string {
  const header = { alg: key.alg, typ: 'JWT', kid: key.kid };
  const claims = {
    iss: clientId,
    sub: clientId,
    aud: audience,
    jti: randomUUID(),
    iat: nowSec,
    exp: nowSec + ASSERTION_LIFETIME_SEC,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const data = Buffer.from(input, 'ascii');
  let signature: Buffer;
  switch (key.alg) {
    case 'RS256':
      signature = sign('sha256', data, key.key);
      break;
    case 'PS256':
      signature = sign('sha256', data, {
        key: key.key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
      break;
    case 'ES256':
      // JWS wants R || S (RFC 7518 §3.4), not DER.
      signature = sign('sha256', data, { key: key.key, dsaEncoding: 'ieee-p1363' });
      break;
    case 'EdDSA':
      signature = sign(null, data, key.key);
      break;
  }
  return `${input}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** RFC 7638 §3: SHA-256 of the required public members, in lexical order, without whitespace. */
function thumbprint(privateKey: KeyObject): string {
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  const members =
    jwk['kty'] === 'RSA'
      ? { e: jwk['e'], kty: 'RSA', n: jwk['n'] }
      : jwk['kty'] === 'EC'
        ? { crv: jwk['crv'], kty: 'EC', x: jwk['x'], y: jwk['y'] }
        : { crv: jwk['crv'], kty: jwk['kty'], x: jwk['x'] };
  return createHash('sha256').update(JSON.stringify(members), 'utf8').digest('base64url');
}
