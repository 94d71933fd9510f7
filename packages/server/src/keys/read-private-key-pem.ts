import { createPrivateKey, type KeyObject } from 'node:crypto';
import { exportJWK, exportPKCS8, importPKCS8 } from 'jose';
import { StoreError } from '../store/store-error.js';
import type { SigningAlg } from '../tokens/token-types.js';
import { toPublicSigningJwk } from './internal/public-jwk.js';
import type { SigningKeyPair } from './signing-key-pair.js';

/** Smallest RSA modulus accepted, bits (RFC 7518 §3.3 requires 2048 or larger for RS256). */
export const MIN_RSA_BITS = 2048;

/**
 * Reads an existing private key — e.g. Laravel Passport's `oauth-private.key` — into a signing key
 * pair: RSA (PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8) becomes RS256, P-256 becomes ES256,
 * Ed25519 becomes EdDSA. The kid is the RFC 7638 thumbprint, so verifiers that already trust the
 * public key keep trusting tokens signed with it.
 *
 * node:crypto parses the PEM because jose imports PKCS#8 only and Passport writes PKCS#1; the
 * key is then normalized to PKCS#8 and everything else (import, JWK, thumbprint) goes through jose.
 *
 * @param pem the PEM text of an unencrypted private key
 * @throws {StoreError} `ERR_INVALID_PRIVATE_KEY` (not a private key, a public key, passphrase-protected),
 *   `ERR_KEY_TOO_WEAK` (RSA below 2048 bits), `ERR_UNSUPPORTED_ALGORITHM` (other curves or key types)
 * @example
 * ```ts
 * const pair = await readPrivateKeyPem(readFileSync('storage/oauth-private.key', 'utf8'));
 * ```
 */
export async function readPrivateKeyPem(pem: string): Promise<SigningKeyPair> {
  const keyObject = parsePem(pem);
  const alg = signingAlgOf(keyObject);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'pem' }).toString();
  const privateKey = await importPKCS8(pkcs8, alg, { extractable: true });
  const publicJwk = await toPublicSigningJwk(await exportJWK(privateKey), alg);
  return {
    alg,
    kid: publicJwk.kid as string,
    publicJwk,
    privateKeyPem: await exportPKCS8(privateKey),
  };
}

function parsePem(pem: string): KeyObject {
  if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(pem)) {
    throw new StoreError(
      'ERR_INVALID_PRIVATE_KEY',
      'this is a public key or certificate; pass the private key (e.g. oauth-private.key)',
    );
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new StoreError(
      'ERR_INVALID_PRIVATE_KEY',
      'the private key is passphrase-protected; decrypt it first (openssl pkey -in key.pem -out plain.pem)',
    );
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new StoreError(
      'ERR_INVALID_PRIVATE_KEY',
      'not a PEM private key (expected PKCS#1 "BEGIN RSA PRIVATE KEY" or PKCS#8 "BEGIN PRIVATE KEY")',
      { cause },
    );
  }
}

function signingAlgOf(key: KeyObject): SigningAlg {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) {
        throw new StoreError(
          'ERR_KEY_TOO_WEAK',
          `RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`,
        );
      }
      return 'RS256';
    }
    case 'ec':
      if (details.namedCurve === 'prime256v1') return 'ES256';
      throw new StoreError(
        'ERR_UNSUPPORTED_ALGORITHM',
        `EC curve ${String(details.namedCurve)} is not supported; use P-256 (ES256)`,
      );
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new StoreError(
        'ERR_UNSUPPORTED_ALGORITHM',
        `key type ${String(key.asymmetricKeyType)} is not supported; use RSA, P-256 or Ed25519`,
      );
  }
}
