import { constants, KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import type { AccessTokenSigningKey, SigningAlg } from '../token-types.js';

/** Signs the claims of one access token with one key: returns the compact JWS. */
export interface PreparedSigner {
  /**
   * @param claimsJson - the serialized claims set.
   * @param typ - the header's `typ`: `at+jwt` (RFC 9068 §2.1, default) or `JWT` (Passport-shaped
   *   tokens).
   */
  sign(claimsJson: string, typ?: 'at+jwt' | 'JWT'): string;
}

/** What node:crypto needs per JWS algorithm (RFC 7518 §3.3, §3.4; RFC 8037 §3.1). */
const PARAMETERS: Readonly<
  Record<
    SigningAlg,
    {
      readonly digest: 'sha256' | null;
      readonly keyType: string;
      readonly namedCurve?: string;
      readonly options: Omit<SignKeyObjectInput, 'key'>;
    }
  >
> = {
  RS256: { digest: 'sha256', keyType: 'rsa', options: { padding: constants.RSA_PKCS1_PADDING } },
  // The JWS form of an ECDSA signature is R‖S, 32 bytes each (RFC 7518 §3.4), not DER.
  ES256: {
    digest: 'sha256',
    keyType: 'ec',
    namedCurve: 'prime256v1',
    options: { dsaEncoding: 'ieee-p1363' },
  },
  EdDSA: { digest: null, keyType: 'ed25519', options: {} },
};

/** Signers by signing-key object: the header is encoded and the key checked once per key. */
const signers = new WeakMap<AccessTokenSigningKey, PreparedSigner>();

/**
 * The signer of a signing key, prepared on first use: the protected header
 * (`{"alg","typ":"at+jwt","kid"}`, and its `typ: JWT` twin) encoded once, the private `KeyObject` (taken from a jose
 * CryptoKey with `KeyObject.from`) checked against `alg`, and node:crypto's options built once.
 * Signing is node:crypto's synchronous `sign`: no threadpool round trip per token.
 *
 * @throws TypeError when the key is not a private key of `alg`'s type.
 */
export function prepareSigner(signingKey: AccessTokenSigningKey): PreparedSigner {
  let signer = signers.get(signingKey);
  if (signer !== undefined) return signer;
  const { alg, kid } = signingKey;
  const parameters = PARAMETERS[alg];
  if (parameters === undefined) throw new TypeError(`unsupported signing algorithm ${String(alg)}`);
  const key =
    signingKey.key instanceof KeyObject
      ? signingKey.key
      : KeyObject.from(signingKey.key as Parameters<typeof KeyObject.from>[0]);
  if (
    key.type !== 'private' ||
    key.asymmetricKeyType !== parameters.keyType ||
    (parameters.namedCurve !== undefined &&
      key.asymmetricKeyDetails?.namedCurve !== parameters.namedCurve)
  ) {
    throw new TypeError(`the signing key is not a private key for ${alg}`);
  }
  const argument: SignKeyObjectInput = { key, ...parameters.options };
  const { digest } = parameters;
  // JSON.stringify of exactly these members, in this order: the same header jose wrote.
  const prefixOf = (typ: string): string =>
    `${Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url')}.`;
  const accessTokenPrefix = prefixOf('at+jwt');
  const jwtPrefix = prefixOf('JWT');
  signer = {
    sign(claimsJson, typ = 'at+jwt') {
      const prefix = typ === 'JWT' ? jwtPrefix : accessTokenPrefix;
      const signingInput = prefix + Buffer.from(claimsJson, 'utf8').toString('base64url');
      // Base64url is ASCII: latin1 gives its bytes without a UTF-8 encoder pass.
      const signature = sign(digest, Buffer.from(signingInput, 'latin1'), argument);
      return `${signingInput}.${signature.toString('base64url')}`;
    },
  };
  signers.set(signingKey, signer);
  return signer;
}
