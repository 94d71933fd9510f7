/**
 * Interoperability of private_key_jwt (RFC 7523 §2.2): assertions made by other implementations —
 * openid-client 6 (`PrivateKeyJwt`, aud = the issuer) and Python Authlib (`PrivateKeyJWT`, aud =
 * the token endpoint) — are accepted by the real server over HTTP on 127.0.0.1.
 */
import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, startTestAuthServer, type TestAuthServer } from './helpers/auth-server.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Debian's python3-authlib lives in the system Python (.ci/run installs it). */
const PYTHON = '/usr/bin/python3';
const authlibMissing = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import authlib, requests'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
})();

let auth: TestAuthServer;
let dir: string;
beforeAll(async () => {
  auth = await startTestAuthServer();
  dir = mkdtempSync(join(tmpdir(), 'm2m-interop-'));
});
afterAll(async () => {
  await auth?.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
async function register(kind: 'rsa' | 'ec') {
  counter += 1;
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const client = await auth.cli.clients.createWithPublicKeys(
    { name: `interop_${counter}`, audiences: ['ms_doctor'] },
    { publicKeys: [pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()] },
  );
  return { clientId: client.clientId, pair };
}

describe('openid-client 6 PrivateKeyJwt', () => {
  it('gets tokens from the server, discovered through RFC 8414 metadata', async () => {
    const { clientId, pair } = await register('ec');
    const key = await webcrypto.subtle.importKey(
      'pkcs8',
      pair.privateKey.export({ type: 'pkcs8', format: 'der' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const config = await oidc.discovery(
      new URL(auth.issuer),
      clientId,
      {},
      oidc.PrivateKeyJwt(key),
      { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] },
    );
    for (let i = 0; i < 2; i++) {
      const tokens = await oidc.clientCredentialsGrant(config, { audience: 'ms_doctor' });
      expect(decodeJwt(tokens.access_token).payload.client_id).toBe(clientId);
    }
  });
});

function runAuthlib(args: string[]): Promise<{ ok: boolean; error?: string }[]> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [join(here, 'interop', 'authlib_private_key_jwt.py'), ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`authlib script failed: ${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

describe.skipIf(authlibMissing)('Python Authlib PrivateKeyJWT (Debian python3-authlib)', () => {
  it.each(['RS256', 'ES256'] as const)(
    'gets tokens with %s assertions of a 60 s lifetime (aud = the token endpoint)',
    async (alg) => {
      const { clientId, pair } = await register(alg === 'RS256' ? 'rsa' : 'ec');
      const keyFile = join(dir, `${clientId}.pem`);
      writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
      });
      const answers = await runAuthlib([auth.tokenUrl, clientId, keyFile, alg, 'short']);
      expect(answers).toEqual([
        { ok: true, token_type: 'Bearer' },
        { ok: true, token_type: 'Bearer' },
      ]);
    },
  );

  it("refuses Authlib's default one-hour assertion lifetime (the 60 s bound), with invalid_client", async () => {
    const { clientId, pair } = await register('rsa');
    const keyFile = join(dir, `${clientId}.pem`);
    writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    const answers = await runAuthlib([auth.tokenUrl, clientId, keyFile, 'RS256', 'default']);
    expect(answers[0]).toEqual({ ok: false, error: 'invalid_client' });
  });
});
