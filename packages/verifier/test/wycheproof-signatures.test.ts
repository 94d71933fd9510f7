/**
 * Project Wycheproof signature vectors (test/fixtures/wycheproof, a copy of
 * ../shared/test-vectors/wycheproof) for every algorithm the verifier supports: RS256, PS256,
 * ES256 (IEEE P1363, the JWS format) and EdDSA (Ed25519). Every
 * `valid` vector must verify, every `invalid` one must not (`acceptable` may go either way).
 *
 * How the vectors reach the verification primitive. A vector signs an arbitrary `msg`, but a JWS
 * signature always covers `ASCII(BASE64URL(protected header)) || "." || payload`, and jose's
 * `flattenedVerify`/`compactVerify` build that input themselves (with a header that must decode to
 * a JSON object, even with `b64: false`): no JWS can carry a vector's `msg`. So the test uses the
 * two things the verifier's path is made of, and nothing else:
 * - the key is imported exactly as the verifier imports keys: jose `importSPKI(pem, alg)` for PEM
 *   keys and jose `importJWK(public members, alg)` for JWKS entries (both are run);
 * - the signature is checked with the call jose's JWS verification makes after building the
 *   signing input (`crypto.subtle.verify(algorithm, cryptoKey, signature, data)` in
 *   jose/dist/webapi/lib/jws_verify.js), with jose's algorithm parameters for each alg
 *   (jose/dist/webapi/lib/jws_algorithms.js).
 * A last group of tests then sends degenerate signatures (all zeros, CVE-2022-21449) through the
 * whole verifier.
 */

import type { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVerifier, VerifierError } from '@m2m-auth/verifier';
import { type CryptoKey, importJWK, importSPKI, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, createTestKey, ISSUER, mintToken, type TestAlg } from './helpers/tokens.js';

const VECTORS = join(import.meta.dirname, 'fixtures', 'wycheproof');

interface Vector {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

interface Group {
  publicKeyPem: string;
  publicKeyJwk?: JWK;
  keyJwk?: JWK;
  tests: Vector[];
}

type Signing = webcrypto.AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams;

/** jose's Web Crypto parameters per JWS alg (jws_algorithms.js: `signing`). */
const SUITES: {
  alg: TestAlg;
  file: string;
  signing: Signing;
}[] = [
  {
    alg: 'RS256',
    file: 'rsa_signature_2048_sha256_test.json',
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
  {
    alg: 'PS256',
    file: 'rsa_pss_2048_sha256_mgf1_32_test.json',
    signing: { name: 'RSA-PSS', saltLength: 32 },
  },
  {
    alg: 'ES256',
    file: 'ecdsa_secp256r1_sha256_p1363_test.json',
    signing: { name: 'ECDSA', hash: 'SHA-256' },
  },
  { alg: 'EdDSA', file: 'ed25519_test.json', signing: { name: 'Ed25519' } },
];

const PUBLIC_MEMBERS: Record<string, string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
};

function publicMembers(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty as string] ?? [];
  return Object.fromEntries(members.map((name) => [name, (jwk as Record<string, unknown>)[name]]));
}

async function verifies(signing: Signing, key: CryptoKey, vector: Vector): Promise<boolean> {
  try {
    return await crypto.subtle.verify(
      signing,
      key,
      Buffer.from(vector.sig, 'hex'),
      Buffer.from(vector.msg, 'hex'),
    );
  } catch {
    // jose turns a throwing verify into JWSSignatureVerificationFailed: a rejection.
    return false;
  }
}

describe('Wycheproof vectors through the verification primitive', () => {
  for (const { alg, file, signing } of SUITES) {
    it(`${alg}: accepts every valid vector and rejects every invalid one (${file})`, async () => {
      const data = JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as {
        testGroups: Group[];
      };
      const failures: string[] = [];
      let valid = 0;
      let invalid = 0;
      for (const group of data.testGroups) {
        // The verifier's own key checks accept the key (a PEM key source is inspected at start).
        expect(() =>
          createVerifier({
            issuer: ISSUER,
            audience: AUDIENCE,
            publicKey: group.publicKeyPem,
            algorithms: [alg],
            logger: false,
          }),
        ).not.toThrow();
        const jwk = group.publicKeyJwk ?? group.keyJwk;
        const keys: [string, CryptoKey][] = [['pem', await importSPKI(group.publicKeyPem, alg)]];
        if (jwk !== undefined)
          keys.push(['jwk', (await importJWK(publicMembers(jwk), alg)) as CryptoKey]);
        for (const vector of group.tests) {
          if (vector.result === 'valid') valid++;
          if (vector.result === 'invalid') invalid++;
          for (const [how, key] of keys) {
            const ok = await verifies(signing, key, vector);
            if (vector.result === 'valid' && !ok) {
              failures.push(`tcId ${vector.tcId} (${how}) valid but rejected: ${vector.comment}`);
            }
            if (vector.result === 'invalid' && ok) {
              failures.push(`tcId ${vector.tcId} (${how}) invalid but accepted: ${vector.comment}`);
            }
          }
        }
      }
      expect(failures).toEqual([]);
      expect(valid).toBeGreaterThan(0);
      expect(invalid).toBeGreaterThan(0);
    });
  }
});

describe('degenerate signatures through the whole verifier', () => {
  for (const [alg, bytes] of [
    ['ES256', 64],
    ['EdDSA', 64],
    ['RS256', 256],
    ['PS256', 256],
  ] as [TestAlg, number][]) {
    it(`rejects an all-zero ${alg} signature (CVE-2022-21449 for ES256)`, async () => {
      const key = await createTestKey(alg);
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKey: key.publicPem,
        algorithms: [alg],
        logger: false,
      });
      const [header, payload] = (await mintToken(key)).split('.');
      const zero = Buffer.alloc(bytes).toString('base64url');
      const err = await verifier
        .verify(`${header}.${payload}.${zero}`)
        .catch((e: unknown) => e as VerifierError);
      expect(err).toBeInstanceOf(VerifierError);
      expect((err as VerifierError).code).toBe('ERR_SIGNATURE_INVALID');
    });
  }

  it('rejects a DER-encoded ES256 signature (JWS requires r‖s)', async () => {
    const key = await createTestKey('ES256');
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      logger: false,
    });
    const token = await mintToken(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const raw = Buffer.from(signature, 'base64url');
    const integer = (part: Buffer): Buffer => {
      let value = part;
      while (value.length > 1 && value[0] === 0 && (value[1] as number) < 0x80)
        value = value.subarray(1);
      if ((value[0] as number) >= 0x80) value = Buffer.concat([Buffer.from([0]), value]);
      return Buffer.concat([Buffer.from([0x02, value.length]), value]);
    };
    const body = Buffer.concat([integer(raw.subarray(0, 32)), integer(raw.subarray(32))]);
    const der = Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('base64url');
    await expect(verifier.verify(`${header}.${payload}.${der}`)).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
  });
});
