/**
 * Receivers that read a key file used to break at the first rotation: `provision` pointed them at a
 * single-key PEM (by an absolute path of the provisioning host) that nothing kept current. Now
 * `m2m-auth serve --publish-keys <dir>` keeps `<dir>/jwks.json` (every published key) and
 * `<dir>/oauth-public.key` (the active key) current, `provision` points receivers at a JWKS file by
 * the path the operator gives, and a receiver whose file misses the token's kid says so.
 * Real processes (the compiled CLI), real files, the real verifier.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { createVerifier, type VerifierError } from '@m2m-auth/verifier';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../packages/server/test/helpers/run-cli.js';
import {
  requestToken,
  scratchArea,
  startServeProcess,
} from '../packages/server/test/helpers/serve-process.js';
import { until } from './helpers/async.js';

const ISSUER = 'https://auth.test';
const { tempDir, servers } = scratchArea('m2m-auth-key-files-');

function kidOf(token: string): string {
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
  return header.kid as string;
}

describe('key-file receivers survive rotation', () => {
  it('serve --publish-keys keeps jwks.json and oauth-public.key current through a rotation', async () => {
    const dir = tempDir();
    const db = ['--database', `sqlite:${join(dir, 'auth.db')}`];
    const cli = (...args: string[]) => runCliProcess([...db, ...args], { cwd: dir });
    expect((await cli('keys', 'generate', '--alg', 'ES256')).code).toBe(0);
    const created = await cli(
      'client',
      'create',
      'ms_admin',
      '--audiences',
      'ms_doctor',
      '--scopes',
      'doctors:read',
      '--json',
    );
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(created.stdout);
    const caller = { clientId, clientSecret };

    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['DATABASE_URL'];
    delete env['M2M_AUTH_KEK'];
    const keysDir = join(dir, 'shared-keys');
    const server = await startServeProcess([...db, '--issuer', ISSUER, '--publish-keys', keysDir], {
      env,
      cwd: dir,
    });
    servers.push(server);
    const jwksFile = join(keysDir, 'jwks.json');
    const pemFile = join(keysDir, 'oauth-public.key');
    const receiver = (publicKeyPath: string) =>
      createVerifier({
        issuer: ISSUER,
        audience: 'ms_doctor',
        publicKeyPath,
        keyFileRefreshSec: 1,
        jwksCooldownSec: 1,
        logger: false,
      });
    const viaJwks = receiver(jwksFile);
    const viaPem = receiver(pemFile);
    const token = async () => {
      const response = await requestToken(server.url, caller, { scope: 'doctors:read' });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };

    const first = await token();
    await viaJwks.verify(first);
    await viaPem.verify(first);
    const stalePem = readFileSync(pemFile, 'utf8');

    // Rotate: the next key is published at once (jwks.json), signs 3 s later (oauth-public.key).
    const rotated = await cli('keys', 'rotate', '--propagation', '3', '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = (JSON.parse(rotated.stdout) as { created: { kid: string }[] }).created[0]?.kid;
    await until('jwks.json holds the next key', () =>
      readFileSync(jwksFile, 'utf8').includes(`"${next}"`),
    );
    let second = first;
    await until(
      'the next key signs',
      async () => {
        second = await token();
        return kidOf(second) === next;
      },
      { limitMs: 20_000 },
    );
    // Both receivers follow: the JWKS file held the key before it signed, the PEM follows it.
    await expect(viaJwks.verify(second)).resolves.toBeDefined();
    await until('oauth-public.key is the new active key', () => {
      return readFileSync(pemFile, 'utf8') !== stalePem;
    });
    await until('the PEM receiver accepts the new key', async () =>
      viaPem.verify(second).then(
        () => true,
        () => false,
      ),
    );
    // Tokens of the retired key keep verifying from the JWKS file until they expire.
    await expect(viaJwks.verify(first)).resolves.toBeDefined();

    // A receiver whose copy of the PEM was never updated: told the file is stale, not "bad signature".
    const staleFile = join(dir, 'stale-oauth-public.key');
    writeFileSync(staleFile, stalePem);
    const err = (await receiver(staleFile)
      .verify(second)
      .catch((e: unknown) => e)) as VerifierError;
    expect(err.code).toBe('ERR_KEY_UNKNOWN');
    expect(err.details).toMatchObject({ kid: next, keySource: `key file ${staleFile}` });
    expect(server.stdout()).toContain('published key files written');
  });

  it('provision points receivers at a JWKS file by the path the operator gives, never resolved on this host', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'services.yaml');
    writeFileSync(
      manifest,
      [
        'auth_url: http://127.0.0.1:8080',
        'services:',
        '  ms_admin:',
        '    calls:',
        '      ms_doctor: [doctors:read]',
        '  ms_doctor:',
        '    scopes: [doctors:read]',
        '',
      ].join('\n'),
    );
    const db = ['--database', `sqlite:${join(dir, 'auth.db')}`];
    const relative = await runCliProcess(
      ['provision', 'services.yaml', '--env-dir', './env', ...db],
      { cwd: dir },
    );
    expect(relative.code, relative.stderr).toBe(0);
    const doctor = parseEnv(readFileSync(join(dir, 'env', 'ms_doctor.env'), 'utf8'));
    expect(doctor['OAUTH_PUBLIC_KEY_PATH']).toBe('env/jwks.json');
    const jwks = JSON.parse(readFileSync(join(dir, 'env', 'jwks.json'), 'utf8'));
    expect(jwks.keys).toHaveLength(1);

    const chosen = await runCliProcess(
      [
        'provision',
        'services.yaml',
        '--env-dir',
        './env',
        '--public-key-path',
        '/srv/keys/jwks.json',
        ...db,
      ],
      { cwd: dir },
    );
    expect(chosen.code, chosen.stderr).toBe(0);
    const again = parseEnv(readFileSync(join(dir, 'env', 'ms_doctor.env'), 'utf8'));
    expect(again['OAUTH_PUBLIC_KEY_PATH']).toBe('/srv/keys/jwks.json');
  });
});
