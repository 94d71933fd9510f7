import { type CryptoKey, importPKCS8 } from 'jose';
import type { SigningKeyMaterial } from './key-store.js';

/**
 * The private key of a signing key as a non-extractable `CryptoKey` (jose `importPKCS8`), for
 * `issueAccessToken` (which signs with node:crypto on its `KeyObject`) or jose's `SignJWT`.
 *
 * @example
 * ```ts
 * const material = await store.keys.active();
 * const key = await importSigningKey(material!);
 * const jwt = await new SignJWT(claims)
 *   .setProtectedHeader({ alg: material!.alg, kid: material!.kid, typ: 'at+jwt' })
 *   .sign(key);
 * ```
 */
export async function importSigningKey(material: SigningKeyMaterial): Promise<CryptoKey> {
  return importPKCS8(material.privateKeyPem, material.alg);
}
