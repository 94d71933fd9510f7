import { createPublicKey, KeyObject } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  importJWK,
  importSPKI,
  type JWK,
} from 'jose';
import type { SupportedAlgorithm } from '../types.js';
import { prepareVerificationKey } from '../verify-jws-signature.js';

/** RSA keys under this many bits are ignored (RFC 7518 §3.3, NIST SP 800-131A). */
export const MIN_RSA_BITS = 2048;

/** One trusted verification key, bound to one algorithm. */
export interface KeyRecord {
  /** Identity of the key material + kid + alg: equal ids are the same trusted key. */
  readonly id: string;
  /** The key's `kid`; `undefined` for a PEM key, which matches any token `kid`. */
  readonly kid: string | undefined;
  /** A PEM key has no kid and verifies tokens whatever `kid` they carry. */
  readonly anyKid: boolean;
  /**
   * A PEM key's RFC 7638 thumbprint (SHA-256), the kid m2m-auth gives it: when a token with
   * another kid fails to verify, the key file is probably stale rather than the token forged.
   */
  readonly thumbprint?: string;
  readonly alg: SupportedAlgorithm;
  /**
   * The public key as node:crypto's `KeyObject`, for `verifyJwsSignature`. Imported by jose
   * (`importJWK`/`importSPKI`, with their checks of the key against `alg`) and taken out of the
   * resulting CryptoKey with `KeyObject.from`.
   */
  readonly key: KeyObject;
  /** Set to false when the key leaves the key set; cached tokens it verified are then dropped. */
  trusted: boolean;
}

/** The algorithms each key type can verify, most usual first. */
function algorithmsFor(kty: string, crv: unknown): readonly SupportedAlgorithm[] {
  if (kty === 'RSA') return ['RS256', 'PS256'];
  if (kty === 'EC' && crv === 'P-256') return ['ES256'];
  if (kty === 'OKP' && crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  return [];
}

/** Public members per key type (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2): all we pass to jose. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
};

/** Members that only private or symmetric keys have (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** A JWK Set entry we can use, reduced to its public members, or why it is ignored. */
export type JwkSelection =
  | {
      readonly kid: string | undefined;
      readonly algs: readonly SupportedAlgorithm[];
      readonly publicJwk: JWK;
    }
  | { readonly ignored: string };

/**
 * Decides whether a JWK Set entry is a signature-verification key we trust, before importing it:
 * a public RSA (≥ 2048 bits), P-256 or Ed25519 key, `use` absent or `sig` (RFC 7517 §4.2),
 * `key_ops` absent or including `verify` (§4.3), `alg` absent or allowed (§4.4), `kid` a string
 * when present, and no private or symmetric key material.
 *
 * @param jwk - one element of `keys`.
 * @param allowed - the verifier's allowed algorithms.
 */
export function selectJwk(jwk: unknown, allowed: ReadonlySet<string>): JwkSelection {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    return { ignored: 'not a JSON object' };
  }
  const entry = jwk as Record<string, unknown>;
  const { kty, use, key_ops: keyOps, alg, kid, crv } = entry;
  if (typeof kty !== 'string' || PUBLIC_MEMBERS[kty] === undefined) {
    return { ignored: 'kty is not RSA, EC or OKP' };
  }
  if (PRIVATE_MEMBERS.some((member) => entry[member] !== undefined)) {
    return { ignored: 'it holds private key material' };
  }
  if (use !== undefined && use !== 'sig') return { ignored: 'use is not sig' };
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) {
    return { ignored: 'key_ops does not include verify' };
  }
  if (kid !== undefined && typeof kid !== 'string') return { ignored: 'kid is not a string' };
  const candidates = algorithmsFor(kty, crv);
  if (candidates.length === 0) return { ignored: 'curve is not P-256 or Ed25519' };
  let algs: readonly SupportedAlgorithm[];
  if (alg !== undefined) {
    if (typeof alg !== 'string' || !candidates.includes(alg as SupportedAlgorithm)) {
      return { ignored: 'alg does not fit the key type' };
    }
    algs = allowed.has(alg) ? [alg as SupportedAlgorithm] : [];
  } else {
    algs = candidates.filter((candidate) => allowed.has(candidate));
  }
  if (algs.length === 0) return { ignored: 'its algorithm is not allowed' };
  const publicJwk: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS[kty] as readonly string[]) {
    if (typeof entry[member] !== 'string') return { ignored: `${member} is missing` };
    publicJwk[member] = entry[member];
  }
  if (kty === 'RSA') {
    const bits = modulusBits(publicJwk['n'] as string);
    if (bits < MIN_RSA_BITS) return { ignored: `RSA modulus of ${bits} bits is under 2048` };
  }
  return { kid, algs, publicJwk: publicJwk as JWK };
}

/** Bit length of a base64url big-endian unsigned integer. */
function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number));
}

/**
 * Imports a selected JWK once per algorithm with jose `importJWK` (one CryptoKey is bound to one
 * algorithm in Web Crypto), then keeps it as a `KeyObject` for node:crypto's synchronous `verify`.
 *
 * @throws whatever jose throws for key material it cannot import (e.g. an EC point off the curve).
 */
export async function importSelectedJwk(
  selection: Extract<JwkSelection, { algs: unknown }>,
): Promise<KeyRecord[]> {
  const { kid, algs, publicJwk } = selection;
  const material = PUBLIC_MEMBERS[publicJwk.kty as string]
    ?.map((member) => (publicJwk as Record<string, unknown>)[member])
    .join('.');
  return Promise.all(
    algs.map(async (alg) => ({
      id: `jwk|${kid ?? ''}|${alg}|${material}`,
      kid,
      anyKid: false,
      alg,
      key: toVerificationKey(alg, (await importJWK(publicJwk, alg)) as CryptoKey),
      trusted: true,
    })),
  );
}

/** A PEM public key, inspected. */
export interface PemKey {
  /** The PEM text, trimmed. */
  readonly pem: string;
  /** The algorithms this key will verify. */
  readonly algs: readonly SupportedAlgorithm[];
}

const SPKI_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/;

/**
 * Checks a PEM public key synchronously, so that a wrong key fails at construction: an SPKI
 * `PUBLIC KEY` block (a private key or certificate is refused: a resource server must not hold
 * the private key), an RSA key of at least 2048 bits, a P-256 or an Ed25519 key.
 *
 * jose has no synchronous key inspection, so node:crypto reads the key type here; the key used for
 * verification is imported by jose (`importSPKI`).
 *
 * @param pem - PEM text.
 * @param allowed - explicitly configured algorithms, or `undefined` for the key's default
 *   (RS256 for RSA, ES256 for P-256, EdDSA/Ed25519 for Ed25519).
 * @param label - the option name, for messages.
 * @throws TypeError when the key is unusable.
 */
export function inspectPem(
  pem: string,
  allowed: ReadonlySet<string> | undefined,
  label: string,
): PemKey {
  const text = pem.trim();
  if (!SPKI_PEM.test(text)) {
    throw new TypeError(
      `${label} must be one SPKI PEM public key (-----BEGIN PUBLIC KEY-----), not a private key or certificate`,
    );
  }
  let candidates: readonly SupportedAlgorithm[];
  try {
    const key = createPublicKey(text);
    const details = key.asymmetricKeyDetails ?? {};
    switch (key.asymmetricKeyType) {
      case 'rsa':
      case 'rsa-pss': {
        const bits = details.modulusLength ?? 0;
        if (bits < MIN_RSA_BITS) {
          throw new TypeError(`${label} is an RSA key of ${bits} bits; at least 2048 are required`);
        }
        candidates =
          key.asymmetricKeyType === 'rsa-pss'
            ? ['PS256']
            : allowed === undefined
              ? ['RS256']
              : ['RS256', 'PS256'];
        break;
      }
      case 'ec':
        candidates = details.namedCurve === 'prime256v1' ? ['ES256'] : [];
        break;
      case 'ed25519':
        candidates = ['EdDSA', 'Ed25519'];
        break;
      default:
        candidates = [];
    }
  } catch (err) {
    if (err instanceof TypeError && err.message.startsWith(label)) throw err;
    throw new TypeError(`${label} is not a readable public key`, { cause: err });
  }
  if (candidates.length === 0) {
    throw new TypeError(`${label} must be an RSA, P-256 or Ed25519 public key`);
  }
  const algs = allowed === undefined ? candidates : candidates.filter((alg) => allowed.has(alg));
  if (algs.length === 0) {
    throw new TypeError(`${label} does not fit any of the configured algorithms`);
  }
  return { pem: text, algs };
}

/**
 * Imports an inspected PEM key with jose `importSPKI`, once per algorithm (kept as a `KeyObject`,
 * as {@link importSelectedJwk}). The records carry no
 * kid: a single configured key verifies tokens whatever their `kid` (Passport tokens have none).
 */
export async function importPem(key: PemKey): Promise<KeyRecord[]> {
  return Promise.all(
    key.algs.map(async (alg) => {
      const imported = await importSPKI(key.pem, alg, { extractable: true });
      return {
        id: `pem|${alg}|${key.pem}`,
        kid: undefined,
        anyKid: true,
        thumbprint: await calculateJwkThumbprint(await exportJWK(imported), 'sha256'),
        alg,
        key: toVerificationKey(alg, imported),
        trusted: true,
      };
    }),
  );
}

/** The `KeyObject` of a key jose imported, checked against `alg` and prepared for verification. */
function toVerificationKey(alg: SupportedAlgorithm, imported: CryptoKey): KeyObject {
  const key = KeyObject.from(imported);
  prepareVerificationKey(alg, key);
  return key;
}
