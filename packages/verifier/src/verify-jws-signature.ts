import { constants, type KeyObject, type VerifyKeyObjectInput, verify } from 'node:crypto';
import type { SupportedAlgorithm } from './types.js';

/** What node:crypto needs per JWS algorithm (RFC 7518 §3.3–3.5; RFC 8037 §3.1). */
interface AlgorithmParameters {
  /** Digest for node:crypto `verify`; `null` for Ed25519 (the hash is part of the scheme). */
  readonly digest: 'sha256' | null;
  /** Key types (`KeyObject.asymmetricKeyType`) that may verify this algorithm. */
  readonly keyTypes: readonly string[];
  /** The curve an EC key must be on. */
  readonly namedCurve?: string;
  /** Exact signature length in bytes, where the algorithm fixes it without the key. */
  readonly signatureLength?: number;
  /** Extra members of the key argument: padding, salt length, signature encoding. */
  readonly options: Omit<VerifyKeyObjectInput, 'key'>;
}

const PARAMETERS: Readonly<Record<SupportedAlgorithm, AlgorithmParameters>> = {
  // RSASSA-PKCS1-v1_5 with SHA-256. OpenSSL refuses a signature whose length is not the modulus's.
  RS256: {
    digest: 'sha256',
    keyTypes: ['rsa'],
    options: { padding: constants.RSA_PKCS1_PADDING },
  },
  // RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt of exactly 32 bytes (RFC 7518 §3.5): jose asks
  // Web Crypto for `saltLength: 32`, which OpenSSL checks exactly on verification; so does this.
  PS256: {
    digest: 'sha256',
    keyTypes: ['rsa', 'rsa-pss'],
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  },
  // ECDSA P-256 with SHA-256; the JWS signature is R‖S, 32 bytes each (RFC 7518 §3.4), which
  // node:crypto's `ieee-p1363` encoding reads (it converts to DER for OpenSSL itself).
  ES256: {
    digest: 'sha256',
    keyTypes: ['ec'],
    namedCurve: 'prime256v1',
    signatureLength: 64,
    options: { dsaEncoding: 'ieee-p1363' },
  },
  // Ed25519 (RFC 8037 §3.1; `Ed25519` is its fully-specified name, RFC 9864).
  EdDSA: { digest: null, keyTypes: ['ed25519'], signatureLength: 64, options: {} },
  Ed25519: { digest: null, keyTypes: ['ed25519'], signatureLength: 64, options: {} },
};

/** The key argument for node:crypto `verify`, built once per key and algorithm. */
const prepared = new WeakMap<KeyObject, Map<SupportedAlgorithm, VerifyKeyObjectInput>>();

/**
 * The node:crypto key argument for `key` used with `alg`, prepared on first use and kept while the
 * key lives. Called when keys are imported, so that a key that does not fit fails there.
 *
 * @throws TypeError when `alg` is unknown or `key` is not a public key for it.
 */
export function prepareVerificationKey(
  alg: SupportedAlgorithm,
  key: KeyObject,
): VerifyKeyObjectInput {
  let byAlg = prepared.get(key);
  let argument = byAlg?.get(alg);
  if (argument !== undefined) return argument;
  const parameters = PARAMETERS[alg];
  if (parameters === undefined) throw new TypeError(`unsupported JWS algorithm ${String(alg)}`);
  if (key.type !== 'public' || !parameters.keyTypes.includes(key.asymmetricKeyType ?? '')) {
    throw new TypeError(`the key is not a public key for ${alg}`);
  }
  if (
    parameters.namedCurve !== undefined &&
    key.asymmetricKeyDetails?.namedCurve !== parameters.namedCurve
  ) {
    throw new TypeError(`the key is not on the curve of ${alg}`);
  }
  argument = Object.freeze({ key, ...parameters.options });
  if (byAlg === undefined) {
    byAlg = new Map();
    prepared.set(key, byAlg);
  }
  byAlg.set(alg, argument);
  return argument;
}

/**
 * Verifies a JWS signature (RFC 7515 §5.2 step 8) with node:crypto's synchronous `verify` on a
 * public `KeyObject`: the primitive `createVerifier` uses after its strict parsing and header
 * checks, exported so that it can be cross-checked (jose, Wycheproof vectors). The algorithm is the
 * one the key is trusted for — never read from the token by this function.
 *
 * - RS256: RSASSA-PKCS1-v1_5 SHA-256; PS256: RSASSA-PSS SHA-256, MGF1-SHA-256, salt exactly 32
 *   bytes (RFC 7518 §3.3, §3.5), as jose verifies them;
 * - ES256: P-256 ECDSA SHA-256 over the raw R‖S form (RFC 7518 §3.4): exactly 64 bytes, anything
 *   else (DER included) is refused before OpenSSL sees it; like jose, both (r, s) and (r, n − s)
 *   verify (ECDSA signatures are malleable; a JWS verifier must not rely on their uniqueness);
 * - EdDSA / Ed25519: Ed25519 (RFC 8037 §3.1), exactly 64 bytes.
 *
 * @param alg - the algorithm the key is trusted for.
 * @param key - a public `KeyObject` of the algorithm's type (RSA, P-256 EC, Ed25519), e.g.
 *   `KeyObject.from(await jose.importJWK(jwk, alg))`.
 * @param signingInput - ASCII(BASE64URL(header) || '.' || BASE64URL(payload)).
 * @param signature - the decoded signature bytes.
 * @returns true when the signature verifies; false for any wrong signature, including one of the
 *   wrong length or one OpenSSL cannot parse.
 * @throws TypeError when `alg` is unknown or `key` is not a public key for it (a programming
 *   error, not a bad token).
 */
export function verifyJwsSignature(
  alg: SupportedAlgorithm,
  key: KeyObject,
  signingInput: Uint8Array,
  signature: Uint8Array,
): boolean {
  const argument = prepareVerificationKey(alg, key);
  const { signatureLength, digest } = PARAMETERS[alg];
  if (signatureLength !== undefined && signature.length !== signatureLength) return false;
  try {
    return verify(digest, signingInput, argument, signature);
  } catch {
    // OpenSSL could not even parse the signature (e.g. r or s out of range): a wrong signature.
    return false;
  }
}
