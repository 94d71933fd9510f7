import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { StoreError } from '../store/store-error.js';
import type { SigningAlg } from '../tokens/token-types.js';
import { toPublicSigningJwk } from './internal/public-jwk.js';
import { isSigningAlg, SIGNING_ALGS, type SigningKeyPair } from './signing-key-pair.js';

/**
 * Generates a signing key pair with jose: RS256 (RSA 2048), ES256 (P-256) or EdDSA (Ed25519).
 * The kid is the RFC 7638 thumbprint of the public key.
 *
 * @param alg JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1)
 * @throws {StoreError} `ERR_UNSUPPORTED_ALGORITHM` for any other value
 * @example
 * ```ts
 * const pair = await generateSigningKeyPair('ES256');
 * console.log(pair.kid, pair.publicJwk);
 * ```
 */
export async function generateSigningKeyPair(alg: SigningAlg): Promise<SigningKeyPair> {
  if (!isSigningAlg(alg)) {
    throw new StoreError(
      'ERR_UNSUPPORTED_ALGORITHM',
      `unsupported signing algorithm "${String(alg)}"; use one of ${SIGNING_ALGS.join(', ')}`,
    );
  }
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const publicJwk = await toPublicSigningJwk(await exportJWK(publicKey), alg);
  return {
    alg,
    kid: publicJwk.kid as string,
    publicJwk,
    privateKeyPem: await exportPKCS8(privateKey),
  };
}
