/**
 * Our signing and verification paths call node:crypto's `sign`/`verify` directly; jose is the
 * reference they are checked against, both ways, for every algorithm:
 * - tokens the real m2m-auth server issues (POST /oauth/token, RS256, ES256, EdDSA) and tokens
 *   `issueAccessToken` signs verify with jose's `jwtVerify` (and with our verifier);
 * - tokens jose's `SignJWT` signs (RS256, PS256, ES256, EdDSA) verify with our verifier, and the
 *   same tokens with one bit changed in the signature, the payload or the header fail both.
 * The server does not offer PS256 (SIGNING_ALGS), so PS256 is checked in the jose → ours direction.
 */
import { KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@m2m-auth/server';
import { SIGNING_ALGS, type SigningAlg } from '@m2m-auth/server/keys';
import { issueAccessToken } from '@m2m-auth/server/tokens';
import { createVerifier, type VerifierError } from '@m2m-auth/verifier';
import { createRemoteJWKSet, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIENCE, createTestKey, ISSUER, mintToken, type TestAlg } from './helpers/tokens.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The token with one bit of one segment flipped (in the middle of the segment). */
function flipBit(token: string, segment: 0 | 1 | 2): string {
  const parts = token.split('.');
  const bytes = Buffer.from(parts[segment] as string, 'base64url');
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] as number) ^ 0x01;
  parts[segment] = bytes.toString('base64url');
  return parts.join('.');
}

describe('tokens of the m2m-auth server verify with jose', () => {
  it('offers RS256, ES256 and EdDSA', () => {
    expect([...SIGNING_ALGS].sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
  });

  for (const alg of SIGNING_ALGS) {
    it(`${alg}: POST /oauth/token → jose jwtVerify with the JWKS, and our verifier`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cross-check-'));
      dirs.push(dir);
      process.env['M2M_AUTH_KEK'] ??= randomBytes(32).toString('base64');
      let server: RunningServer | undefined;
      try {
        server = await startServer({
          databaseUrl: `sqlite:${join(dir, 'm2m-auth.db')}`,
          port: 0,
          host: '127.0.0.1',
          generateKeyIfMissing: alg,
        });
        const { client, clientSecret } = await server.store.clients.create({
          name: 'ms_reception',
          scopes: ['doctors:read'],
          audiences: [AUDIENCE],
        });
        const jwksUri = `${server.url}/.well-known/jwks.json`;
        const jwks = createRemoteJWKSet(new URL(jwksUri));
        const verifier = createVerifier({
          issuer: server.issuer,
          audience: AUDIENCE,
          jwksUri,
          logger: false,
        });
        // Several tokens: each has its own jti, so its own signature.
        for (let i = 0; i < 5; i++) {
          const response = await fetch(`${server.url}/oauth/token`, {
            method: 'POST',
            headers: {
              authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: `grant_type=client_credentials&audience=${AUDIENCE}`,
          });
          expect(response.status).toBe(200);
          const token = ((await response.json()) as { access_token: string }).access_token;
          const { payload, protectedHeader } = await jwtVerify(token, jwks, {
            algorithms: [alg],
            issuer: server.issuer,
            audience: AUDIENCE,
            typ: 'at+jwt',
          });
          expect(protectedHeader.alg).toBe(alg);
          expect(payload.client_id).toBe(client.clientId);
          expect((await verifier.verify(token)).jti).toBe(payload.jti);
          if (alg === 'ES256') {
            // RFC 7518 §3.4: R‖S, 64 bytes, never DER.
            expect(Buffer.from(token.split('.')[2] as string, 'base64url')).toHaveLength(64);
          }
          await expect(jwtVerify(flipBit(token, 2), jwks)).rejects.toThrow();
        }
      } finally {
        await server?.close();
      }
    });

    it(`${alg}: issueAccessToken with a jose CryptoKey and with a KeyObject → jose jwtVerify`, async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      for (const key of [privateKey, KeyObject.from(privateKey)]) {
        const issued = await issueAccessToken(
          { kid: 'k1', alg: alg as SigningAlg, key },
          {
            issuer: ISSUER,
            clientId: 'c1-ü',
            audience: AUDIENCE,
            scopes: ['a', 'b'],
            expiresInSec: 60,
          },
        );
        const { protectedHeader, payload } = await jwtVerify(issued.accessToken, publicKey, {
          algorithms: [alg],
          issuer: ISSUER,
          audience: AUDIENCE,
          typ: 'at+jwt',
        });
        expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: 'k1' });
        // A non-ASCII claim: the claims are UTF-8, base64url-encoded.
        expect(payload.client_id).toBe('c1-ü');
        expect(payload.scope).toBe('a b');
        const verifier = createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          publicKey: await exportSPKI(publicKey),
          algorithms: [alg],
          logger: false,
        });
        expect((await verifier.verify(issued.accessToken)).jti).toBe(issued.jti);
      }
    });
  }

  it('issueAccessToken refuses a key that does not fit the algorithm', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const { publicKey } = await generateKeyPair('RS256');
    const grant = {
      issuer: ISSUER,
      clientId: 'c',
      audience: AUDIENCE,
      scopes: [],
      expiresInSec: 60,
    };
    await expect(
      issueAccessToken({ kid: 'k', alg: 'RS256', key: privateKey }, grant),
    ).rejects.toThrow(TypeError);
    await expect(
      issueAccessToken({ kid: 'k', alg: 'RS256', key: publicKey }, grant),
    ).rejects.toThrow(TypeError);
  });
});

describe('tokens jose signs verify with our verifier', () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as TestAlg[]) {
    it(`${alg}: jose SignJWT → verifier.verify (PEM and JWKS file keys); altered tokens fail both`, async () => {
      const key = await createTestKey(alg);
      const verifiers = [
        createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          publicKey: key.publicPem,
          algorithms: [alg],
          logger: false,
        }),
      ];
      const dir = mkdtempSync(join(tmpdir(), 'cross-check-'));
      dirs.push(dir);
      const jwksPath = join(dir, 'jwks.json');
      writeFileSync(jwksPath, JSON.stringify({ keys: [key.publicJwk] }));
      verifiers.push(
        createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          publicKeyPath: jwksPath,
          algorithms: [alg],
          logger: false,
        }),
      );
      for (let i = 0; i < 5; i++) {
        const token = await mintToken(key, { scope: `doctors:read n${i}` });
        const reference = await jwtVerify(token, key.publicKey, { algorithms: [alg] });
        for (const verifier of verifiers) {
          expect(await verifier.verify(token)).toEqual(reference.payload);
          for (const segment of [0, 1, 2] as const) {
            const altered = flipBit(token, segment);
            const ours = await verifier.verify(altered).then(
              () => 'accepted',
              (e: unknown) => (e as VerifierError).code,
            );
            expect(ours, `segment ${segment}`).not.toBe('accepted');
            await expect(jwtVerify(altered, key.publicKey)).rejects.toThrow();
          }
        }
      }
    });
  }
});
