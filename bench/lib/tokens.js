// RS256 access tokens for the verification row, shaped as our server issues them (RFC 9068).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { jose } from './jose.js';

/**
 * An RSA 2048 key pair and `count` distinct RS256 tokens for `audience` with `scope`, valid for
 * `ttlSec` seconds.
 *
 * @returns `{ publicKeyPem, privateKey (KeyObject), kid, tokens }`.
 */
export async function makeTokens({ issuer, audience, scope, count, ttlSec = 3600 }) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' });
  const kid = await jose.calculateJwkThumbprint(await jose.exportJWK(publicKey));
  const iat = Math.floor(Date.now() / 1000);
  const tokens = [];
  for (let i = 0; i < count; i++) {
    const clientId = `bench_caller_${i % 50}`;
    tokens.push(
      await new jose.SignJWT({
        iss: issuer,
        sub: clientId,
        aud: audience,
        exp: iat + ttlSec,
        iat,
        jti: randomUUID(),
        client_id: clientId,
        scope,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
        .sign(privateKey),
    );
  }
  return { publicKeyPem, publicKey, privateKey, kid, tokens };
}
