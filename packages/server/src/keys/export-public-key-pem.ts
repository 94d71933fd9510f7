import { exportSPKI, importJWK, type JWK } from 'jose';

/**
 * The SPKI PEM (`BEGIN PUBLIC KEY`) of a public JWK — what receiving services load from
 * `OAUTH_PUBLIC_KEY_PATH`, the format of Passport's `oauth-public.key`.
 *
 * @param publicJwk a public JWK with `alg` (as in {@link SigningKeyRecord.publicJwk})
 * @throws {TypeError} when the JWK has no `alg`
 * @example
 * ```ts
 * const key = (await store.keys.active())!;
 * writeFileSync('oauth-public.key', await exportPublicKeyPem(key.publicJwk));
 * ```
 */
export async function exportPublicKeyPem(publicJwk: JWK): Promise<string> {
  if (typeof publicJwk.alg !== 'string') throw new TypeError('the public JWK has no "alg"');
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = publicJwk;
  const key = await importJWK(pub, publicJwk.alg, { extractable: true });
  if (key instanceof Uint8Array) throw new TypeError('not an asymmetric public key');
  return exportSPKI(key);
}
