import type { JWK } from 'jose';
import type { SigningAlg } from '../tokens/token-types.js';

/** A signing key pair ready to be stored: public JWK (with kid) and the private key as PKCS#8 PEM. */
export interface SigningKeyPair {
  alg: SigningAlg;
  /** RFC 7638 JWK thumbprint of the public key. */
  kid: string;
  /** Public JWK with `kid`, `alg`, `use: "sig"`. */
  publicJwk: JWK;
  /** PKCS#8 PEM. Secret: never log or print it. */
  privateKeyPem: string;
}

/** The algorithms this server signs with, default first. */
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];

/** Default algorithm: RS256, what Laravel Passport and the PHP JWT libraries verify. */
export const DEFAULT_SIGNING_ALG: SigningAlg = 'RS256';

/** Whether `value` names a supported signing algorithm. */
export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (SIGNING_ALGS as readonly string[]).includes(value);
}
