import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlg } from '../../tokens/token-types.js';

/** Members of a public JWK per key type (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2). */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
};

/**
 * The public JWK of a key (only its public members, whatever JWK is given), with
 * `kid` = its RFC 7638 thumbprint (SHA-256), `alg` and `use: "sig"` (RFC 7517 §4).
 */
export async function toPublicSigningJwk(jwk: JWK, alg: SigningAlg): Promise<JWK> {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''];
  if (members === undefined) throw new TypeError(`unsupported key type ${String(jwk.kty)}`);
  const pub: JWK = {};
  for (const name of members) {
    const value = (jwk as Record<string, unknown>)[name];
    if (value !== undefined) (pub as Record<string, unknown>)[name] = value;
  }
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  return { ...pub, kid, alg, use: 'sig' };
}
