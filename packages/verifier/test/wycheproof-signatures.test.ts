/**
 * Project Wycheproof signature vectors (test/fixtures/wycheproof, a copy of
 * ../shared/test-vectors/wycheproof) for every algorithm the verifier supports: RS256, PS256,
 * ES256 (IEEE P1363, the JWS format) and EdDSA (Ed25519). Every
 * `valid` vector must verify, every `invalid` one must not (`acceptable` may go either way).
 *
 * How the vectors reach the verification primitive. A vector signs an arbitrary `msg`, but a JWS
 * signature always covers `ASCII(BASE64URL(protected header)) || "." || payload`: no JWS can carry
 * a vector's `msg`. So the test uses the two things the verifier's path is made of:
 * - the key is imported exactly as the verifier imports keys: jose `importSPKI(pem, alg)` for PEM
 *   keys and jose `importJWK(public members, alg)` for JWKS entries (both are run), then
 *   `KeyObject.from` (internal/import-keys.ts);
 * - the signature is checked with `verifyJwsSignature`, the exported function the verifier calls
 *   after its parsing (node:crypto `verify`).
 * Each vector also goes through jose's own path — the call jose's JWS verification makes after
 * building the signing input (`crypto.subtle.verify(algorithm, cryptoKey, signature, data)` in
 * jose/dist/webapi/lib/jws_verify.js, with jose's parameters from jws_algorithms.js) — and the two
 * must give the same answer on every vector, `acceptable` ones and malleability cases included.
 * A last group of tests then sends degenerate, malformed and malleated signatures through the
 * whole verifier, next to jose's `jwtVerify`.
 */

import { KeyObject, type webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVerifier, VerifierError, verifyJwsSignature } from '@m2m-auth/verifier';
import { type CryptoKey, importJWK, importSPKI, type JWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  createTestKey,
  ISSUER,
  mintToken,
  type TestAlg,
  type TestKey,
} from './helpers/tokens.js';

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

function oursVerifies(alg: TestAlg, key: KeyObject, vector: Vector): boolean {
  return verifyJwsSignature(
    alg,
    key,
    Buffer.from(vector.msg, 'hex'),
    Buffer.from(vector.sig, 'hex'),
  );
}

describe('Wycheproof vectors through the verification primitive', () => {
  for (const { alg, file, signing } of SUITES) {
    it(`${alg}: accepts every valid vector, rejects every invalid one, and agrees with jose on each (${file})`, async () => {
      const data = JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as {
        testGroups: Group[];
      };
      const failures: string[] = [];
      const counted = { valid: 0, invalid: 0, acceptable: 0 };
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
          counted[vector.result]++;
          for (const [how, key] of keys) {
            const jose = await verifies(signing, key, vector);
            const ours = oursVerifies(alg, KeyObject.from(key), vector);
            const name = `tcId ${vector.tcId} (${how}, ${vector.result}, ${vector.flags.join(',')})`;
            if (vector.result === 'valid' && !ours) failures.push(`${name} rejected by ours`);
            if (vector.result === 'invalid' && ours) failures.push(`${name} accepted by ours`);
            if (vector.result === 'valid' && !jose) failures.push(`${name} rejected by jose`);
            if (vector.result === 'invalid' && jose) failures.push(`${name} accepted by jose`);
            if (ours !== jose) failures.push(`${name}: ours ${ours}, jose ${jose}`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(counted.valid).toBeGreaterThan(0);
      expect(counted.invalid).toBeGreaterThan(0);
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

  /** Our verifier's answer and jose's jwtVerify's for one token. */
  async function bothVerdicts(key: TestKey, token: string): Promise<[string, boolean]> {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      algorithms: [key.alg],
      logger: false,
    });
    const ours = await verifier.verify(token).then(
      () => 'ok',
      (e: unknown) => (e as VerifierError).code,
    );
    const jose = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: ISSUER,
      audience: AUDIENCE,
    }).then(
      () => true,
      () => false,
    );
    return [ours, jose];
  }

  it('rejects ES256 signatures of any length but 64 bytes, as jose does', async () => {
    const key = await createTestKey('ES256');
    const [header, payload, signature] = (await mintToken(key)).split('.') as [
      string,
      string,
      string,
    ];
    const raw = Buffer.from(signature, 'base64url');
    for (const bytes of [
      raw.subarray(0, 63),
      Buffer.concat([raw, Buffer.from([0])]),
      Buffer.concat([Buffer.from([0]), raw]),
      raw.subarray(0, 32),
      Buffer.concat([raw, raw]),
    ]) {
      const token = `${header}.${payload}.${bytes.toString('base64url')}`;
      expect(await bothVerdicts(key, token), `${bytes.length} bytes`).toEqual([
        'ERR_SIGNATURE_INVALID',
        false,
      ]);
    }
  });

  it('ES256 malleability: (r, n − s) verifies, as in jose and Wycheproof; r or s ≥ n does not', async () => {
    const key = await createTestKey('ES256');
    const [header, payload, signature] = (await mintToken(key)).split('.') as [
      string,
      string,
      string,
    ];
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const raw = Buffer.from(signature, 'base64url');
    const r = BigInt(`0x${raw.subarray(0, 32).toString('hex')}`);
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const encode = (a: bigint, b: bigint): string =>
      Buffer.from(
        a.toString(16).padStart(64, '0') + b.toString(16).padStart(64, '0'),
        'hex',
      ).toString('base64url');
    const token = (a: bigint, b: bigint): string => `${header}.${payload}.${encode(a, b)}`;
    expect(await bothVerdicts(key, token(r, s))).toEqual(['ok', true]);
    expect(await bothVerdicts(key, token(r, n - s))).toEqual(['ok', true]);
    // The same residues written out of range are other signatures, and invalid.
    if (s + n < 2n ** 256n) {
      expect(await bothVerdicts(key, token(r, s + n))).toEqual(['ERR_SIGNATURE_INVALID', false]);
    }
    if (r + n < 2n ** 256n) {
      expect(await bothVerdicts(key, token(r + n, s))).toEqual(['ERR_SIGNATURE_INVALID', false]);
    }
    expect(await bothVerdicts(key, token(0n, s))).toEqual(['ERR_SIGNATURE_INVALID', false]);
    expect(await bothVerdicts(key, token(r, 0n))).toEqual(['ERR_SIGNATURE_INVALID', false]);
  });

  it('EdDSA malleability: S + L is rejected, as by jose (RFC 8032 §5.1.7)', async () => {
    const key = await createTestKey('EdDSA');
    const [header, payload, signature] = (await mintToken(key)).split('.') as [
      string,
      string,
      string,
    ];
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const raw = Buffer.from(signature, 'base64url');
    const sLittle = Buffer.from(raw.subarray(32)).reverse();
    const s = BigInt(`0x${sLittle.toString('hex')}`) + L;
    const sBytes = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse();
    const malleated = Buffer.concat([raw.subarray(0, 32), sBytes]).toString('base64url');
    expect(await bothVerdicts(key, `${header}.${payload}.${signature}`)).toEqual(['ok', true]);
    expect(await bothVerdicts(key, `${header}.${payload}.${malleated}`)).toEqual([
      'ERR_SIGNATURE_INVALID',
      false,
    ]);
  });

  it('RS256 and PS256: a signature shorter or longer than the modulus is rejected, as by jose', async () => {
    for (const alg of ['RS256', 'PS256'] as const) {
      const key = await createTestKey(alg);
      const [header, payload, signature] = (await mintToken(key)).split('.') as [
        string,
        string,
        string,
      ];
      const raw = Buffer.from(signature, 'base64url');
      for (const bytes of [
        Buffer.concat([Buffer.from([0]), raw]),
        raw.subarray(1),
        Buffer.concat([raw, Buffer.from([0])]),
      ]) {
        const token = `${header}.${payload}.${bytes.toString('base64url')}`;
        expect(await bothVerdicts(key, token), `${alg}, ${bytes.length} bytes`).toEqual([
          'ERR_SIGNATURE_INVALID',
          false,
        ]);
      }
    }
  });
});
