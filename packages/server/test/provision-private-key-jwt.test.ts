/**
 * `client_auth: private_key_jwt` in a provisioning manifest: the hospital manifest with that one
 * line runs every calling service without a secret. Each caller gets an ES256 key pair: the private
 * key in `<env-dir>/<name>.key` (mode 0600, named by OAUTH_CLIENT_KEY_PATH in its .env), only the
 * public key in the database; and each can get tokens from the real server with it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTokenClient } from '@m2m-auth/client';
import { openStore, startServer } from '@m2m-auth/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createProvisionWorkspace,
  HOSPITAL_MANIFEST,
  type ProvisionWorkspace,
} from './helpers/provision-fixture.js';

let ws: ProvisionWorkspace;
beforeEach(() => {
  ws = createProvisionWorkspace();
  const manifest = readFileSync(HOSPITAL_MANIFEST, 'utf8').replace(
    /^# client_auth: private_key_jwt$/m,
    'client_auth: private_key_jwt',
  );
  expect(manifest).toMatch(/^client_auth: private_key_jwt$/m);
  ws.writeManifest(manifest);
});
afterEach(() => {
  ws.remove();
});

function envOf(name: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of readFileSync(join(ws.envDir, `${name}.env`), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) vars.set(match[1] as string, (match[2] as string).replace(/^"|"$/g, ''));
  }
  return vars;
}

describe('provision with client_auth: private_key_jwt (the demo manifest, one setting)', () => {
  it('gives every caller a key file and no secret, and the keys work against the server', async () => {
    const first = await ws.provisionJson('--auth-url', 'http://127.0.0.1:8080');
    expect(first.code).toBe(0);
    const callers = first.report.clients.map((c) => c.name);
    expect(callers.length).toBeGreaterThan(0);
    for (const name of callers) {
      const env = envOf(name);
      expect(env.has('OAUTH_CLIENT_SECRET')).toBe(false);
      const keyPath = env.get('OAUTH_CLIENT_KEY_PATH') as string;
      expect(keyPath).toBe(join(ws.envDir, `${name}.key`));
      expect(statSync(keyPath).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyPath, 'utf8')).toContain('BEGIN PRIVATE KEY');
    }

    // Idempotent: a second run finds every key registered and changes nothing.
    const again = await ws.provisionJson('--auth-url', 'http://127.0.0.1:8080');
    expect(again.code).toBe(0);
    expect(again.report.storeChanges).toBe(0);

    const store = await openStore({ databaseUrl: ws.databaseUrl });
    const server = await startServer({ store, port: 0, host: '127.0.0.1' });
    try {
      for (const name of callers) {
        const creds = await store.clients.getCredentials(
          envOf(name).get('OAUTH_CLIENT_ID') as string,
        );
        expect(creds?.secrets).toEqual([]);
        expect(creds?.publicKeys?.alg).toBe('ES256');
        const env = envOf(name);
        const auth = createTokenClient({
          tokenUrl: server.url,
          clientId: env.get('OAUTH_CLIENT_ID') as string,
          privateKeyPath: env.get('OAUTH_CLIENT_KEY_PATH') as string,
        });
        const audience = first.report.clients.find((c) => c.name === name)?.audiences[0] as string;
        expect(await auth.getToken({ audience })).toMatch(/^ey/);
      }
    } finally {
      await server.close();
      await store.close();
    }
  });
});
