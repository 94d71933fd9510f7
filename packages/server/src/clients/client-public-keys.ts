import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importJWK, type JWK } from 'jose';
import { StoreError } from '../store/store-error.js';
import type { ClientAssertionAlg, ClientPublicKeys, NewClientPublicKeys } from './client-store.js';

/** Algorithms accepted for client assertions (RFC 7518 §3.1/§3.5, RFC 8037): no `none`, no HMAC. */
export const CLIENT_ASSERTION_ALGS: readonly ClientAssertionAlg[] = [
  'RS256',
  'PS256',
  'ES256',
  'EdDSA',
];

/** Most public keys a client holds at once: the current one and, during a key change, the next. */
export const MAX_CLIENT_PUBLIC_KEYS = 2;

/** Smallest accepted RSA modulus, bits (RFC 7518 §3.3). */
const MIN_RSA_BITS = 2048;

/** JWK members that carry private or symmetric key material (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * Checks and normalizes a client's public keys for `private_key_jwt` (RFC 7523 §2.2): each input is
 * a PEM public key (SPKI), a JWK, or a JWK Set (object or JSON text). Every key becomes a public JWK
 * with `kid` (its RFC 7638 thumbprint unless it had one), `alg` and `use: "sig"`; all share one
 * algorithm, taken from `alg`, else from the keys' `alg`, else from their type (RSA: RS256, P-256:
 * ES256, Ed25519: EdDSA). A `jwks_uri` must be an absolute http(s) URL, with an explicit `alg`.
 *
 * @throws {StoreError} `ERR_INVALID_PUBLIC_KEY`, `ERR_INVALID_JWKS_URI`, `ERR_UNSUPPORTED_ALGORITHM`.
 */
export async function normalizeClientPublicKeys(
  input: NewClientPublicKeys,
): Promise<ClientPublicKeys> {
  if (typeof input !== 'object' || input === null) {
    throw new StoreError('ERR_INVALID_PUBLIC_KEY', 'give public keys or a jwks_uri');
  }
  if (input.alg !== undefined && !CLIENT_ASSERTION_ALGS.includes(input.alg)) {
    throw new StoreError(
      'ERR_UNSUPPORTED_ALGORITHM',
      `client assertion algorithm must be one of ${CLIENT_ASSERTION_ALGS.join(', ')}; got ${JSON.stringify(input.alg)}`,
    );
  }
  if ('jwksUri' in input) {
    if ('publicKeys' in input) {
      throw new StoreError(
        'ERR_INVALID_JWKS_URI',
        'give either public keys or a jwks_uri, not both',
      );
    }
    if (input.alg === undefined) {
      throw new StoreError(
        'ERR_INVALID_JWKS_URI',
        `a jwks_uri needs the algorithm the client signs with (${CLIENT_ASSERTION_ALGS.join(', ')})`,
      );
    }
    return { alg: input.alg, keys: null, jwksUri: validateJwksUri(input.jwksUri) };
  }
  const raw: JWK[] = [];
  for (const item of input.publicKeys) raw.push(...toJwks(item));
  if (raw.length === 0) throw new StoreError('ERR_INVALID_PUBLIC_KEY', 'no public key given');
  if (raw.length > MAX_CLIENT_PUBLIC_KEYS) {
    throw new StoreError(
      'ERR_INVALID_PUBLIC_KEY',
      `at most ${MAX_CLIENT_PUBLIC_KEYS} public keys (the current one and the next during a key change); got ${raw.length}`,
    );
  }
  for (const jwk of raw) {
    for (const member of PRIVATE_MEMBERS) {
      if (jwk[member] !== undefined) {
        throw new StoreError(
          'ERR_INVALID_PUBLIC_KEY',
          'the key holds private or symmetric material: register the public key only',
        );
      }
    }
  }
  const alg = input.alg ?? agreedAlg(raw);
  const keys: JWK[] = [];
  for (const jwk of raw) keys.push(await normalizeJwk(jwk, alg));
  const kids = new Set(keys.map((key) => key.kid));
  if (kids.size !== keys.length) {
    throw new StoreError('ERR_INVALID_PUBLIC_KEY', 'two public keys have the same kid');
  }
  return { alg, keys, jwksUri: null };
}

/**
 * Checks a `jwks_uri`: an absolute http(s) URL without credentials or fragment. Which hosts the
 * server will actually fetch from is the server's setting, checked at fetch time.
 *
 * @throws {StoreError} `ERR_INVALID_JWKS_URI`.
 */
export function validateJwksUri(value: unknown): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new StoreError('ERR_INVALID_JWKS_URI', `jwks_uri is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new StoreError('ERR_INVALID_JWKS_URI', 'jwks_uri must be an http(s) URL');
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new StoreError(
      'ERR_INVALID_JWKS_URI',
      'jwks_uri must not carry credentials or a fragment',
    );
  }
  return url.href;
}

function toJwks(item: unknown): JWK[] {
  if (typeof item === 'string') {
    const text = item.trim();
    if (text.startsWith('-----BEGIN')) return [pemToJwkShape(text)];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new StoreError(
        'ERR_INVALID_PUBLIC_KEY',
        'a public key must be PEM (-----BEGIN PUBLIC KEY-----), a JWK or a JWK Set (JSON)',
      );
    }
    return toJwks(parsed);
  }
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new StoreError(
      'ERR_INVALID_PUBLIC_KEY',
      'a public key must be a JWK object or a JWK Set',
    );
  }
  const keys = (item as { keys?: unknown }).keys;
  if (keys !== undefined) {
    if (!Array.isArray(keys))
      throw new StoreError('ERR_INVALID_PUBLIC_KEY', 'JWK Set keys is not a list');
    return keys.flatMap((key) => toJwks(key));
  }
  return [item as JWK];
}

/** Reads a PEM public key into a JWK of its kty (the algorithm is decided later). */
function pemToJwkShape(pem: string): JWK {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new StoreError(
      'ERR_INVALID_PUBLIC_KEY',
      'this is a private key: register the public key only (openssl pkey -pubout)',
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new StoreError('ERR_INVALID_PUBLIC_KEY', 'the PEM text is not a public key', { cause });
  }
  // node:crypto only inspects the key here; the JWK is produced by jose in normalizeJwk.
  return key.export({ format: 'jwk' }) as JWK;
}

function typeAlg(jwk: JWK): ClientAssertionAlg {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  throw new StoreError(
    'ERR_INVALID_PUBLIC_KEY',
    `unsupported key type ${JSON.stringify(jwk.kty)}${jwk.crv ? ` (${jwk.crv})` : ''}: use RSA, EC P-256 or Ed25519`,
  );
}

function agreedAlg(keys: readonly JWK[]): ClientAssertionAlg {
  const algs = new Set(
    keys.map((jwk) =>
      typeof jwk.alg === 'string' ? (jwk.alg as ClientAssertionAlg) : typeAlg(jwk),
    ),
  );
  if (algs.size !== 1) {
    throw new StoreError(
      'ERR_INVALID_PUBLIC_KEY',
      'the public keys are for different algorithms; a client signs with one algorithm',
    );
  }
  const [alg] = algs as Set<ClientAssertionAlg>;
  if (!CLIENT_ASSERTION_ALGS.includes(alg as ClientAssertionAlg)) {
    throw new StoreError(
      'ERR_UNSUPPORTED_ALGORITHM',
      `client assertion algorithm must be one of ${CLIENT_ASSERTION_ALGS.join(', ')}; got ${JSON.stringify(alg)}`,
    );
  }
  return alg as ClientAssertionAlg;
}

async function normalizeJwk(jwk: JWK, alg: ClientAssertionAlg): Promise<JWK> {
  const fits =
    alg === 'RS256' || alg === 'PS256'
      ? jwk.kty === 'RSA'
      : alg === 'ES256'
        ? jwk.kty === 'EC' && jwk.crv === 'P-256'
        : jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  if (!fits || (jwk.alg !== undefined && jwk.alg !== alg)) {
    throw new StoreError('ERR_INVALID_PUBLIC_KEY', `the key does not fit the algorithm ${alg}`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new StoreError(
      'ERR_INVALID_PUBLIC_KEY',
      'the key is not for signatures (use is not "sig")',
    );
  }
  if (
    jwk.kid !== undefined &&
    (typeof jwk.kid !== 'string' || jwk.kid === '' || jwk.kid.length > 256)
  ) {
    throw new StoreError(
      'ERR_INVALID_PUBLIC_KEY',
      'kid must be a non-empty string of at most 256 characters',
    );
  }
  let exported: JWK;
  try {
    const imported = await importJWK({ ...jwk, ext: true }, alg);
    if (imported instanceof Uint8Array) throw new Error('symmetric key');
    exported = await exportJWK(imported);
  } catch (cause) {
    throw new StoreError('ERR_INVALID_PUBLIC_KEY', `the key is not a valid ${alg} public key`, {
      cause,
    });
  }
  if (
    exported.kty === 'RSA' &&
    Buffer.from(exported.n ?? '', 'base64url').length * 8 < MIN_RSA_BITS
  ) {
    throw new StoreError(
      'ERR_INVALID_PUBLIC_KEY',
      `RSA keys must have at least ${MIN_RSA_BITS} bits`,
    );
  }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(exported, 'sha256'));
  return { ...exported, kid, alg, use: 'sig' };
}
