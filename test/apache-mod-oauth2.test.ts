/**
 * Apache httpd with mod_oauth2 (Debian `libapache2-mod-oauth2`, installed by .ci/run) protects a
 * route by introspecting m2m-auth tokens (RFC 7662): Apache runs on a loopback port with a
 * throwaway configuration, authenticates to `POST /oauth/introspect` as a client holding the
 * `m2m-auth:introspect` scope, and lets through only requests whose bearer token is active —
 * not a missing, forged, expired or revoked one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RunningServer, type Store, startServer } from '@m2m-auth/server';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const available = existsSync(APACHE) && existsSync(join(MODULES, 'mod_oauth2.so'));

/** A free loopback port (Apache cannot be told to pick one and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!available)(
  'Apache mod_oauth2 protects a route by introspection',
  {
    timeout: 60_000,
  },
  () => {
    let dir: string;
    let store: Store;
    let auth: RunningServer;
    let apache: ChildProcess;
    let apacheUrl: string;
    let caller: { clientId: string; clientSecret: string };
    let shortLived: { clientId: string; clientSecret: string };

    async function tokenOf(client: { clientId: string; clientSecret: string }): Promise<string> {
      const res = await fetch(`${auth.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      expect(res.status).toBe(200);
      return String(((await res.json()) as { access_token: string }).access_token);
    }

    const get = (token?: string) =>
      fetch(`${apacheUrl}/protected/ok.txt`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'm2m-auth-apache-'));
      // Apache serves files as its User (nobody when started as root): the folder must be readable.
      chmodSync(dir, 0o755);
      store = await openStore({
        databaseUrl: `sqlite:${join(dir, 'auth.db')}`,
        kek: randomBytes(32),
      });
      auth = await startServer({ store, port: 0, host: '127.0.0.1' });
      const gateway = await store.clients.create({
        name: 'apache_gateway',
        scopes: ['m2m-auth:introspect'],
      });
      caller = await store.clients
        .create({ name: 'ms_admin', scopes: ['doctors:read'], audiences: ['ms_doctor'] })
        .then(({ client, clientSecret }) => ({ clientId: client.clientId, clientSecret }));
      shortLived = await store.clients
        .create({ name: 'ms_brief', audiences: ['ms_doctor'], tokenTtlSec: 1 })
        .then(({ client, clientSecret }) => ({ clientId: client.clientId, clientSecret }));

      const port = await freePort();
      apacheUrl = `http://127.0.0.1:${port}`;
      mkdirSync(join(dir, 'htdocs', 'protected'), { recursive: true });
      writeFileSync(join(dir, 'htdocs', 'protected', 'ok.txt'), 'protected content\n');
      const verifyOptions = new URLSearchParams({
        'introspect.auth': 'client_secret_basic',
        client_id: gateway.client.clientId,
        client_secret: gateway.clientSecret,
        // Loopback http; and no result cache, so that a revocation shows on the next request.
        'introspect.ssl_verify': 'false',
        expiry: '0',
      }).toString();
      const runAs = process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : [];
      writeFileSync(
        join(dir, 'httpd.conf'),
        [
          `ServerRoot "${dir}"`,
          `Listen 127.0.0.1:${port}`,
          'ServerName 127.0.0.1',
          `PidFile "${dir}/httpd.pid"`,
          `DefaultRuntimeDir "${dir}"`,
          `ErrorLog "${dir}/error.log"`,
          'LogLevel warn oauth2:info',
          ...runAs,
          `LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so`,
          `LoadModule authn_core_module ${MODULES}/mod_authn_core.so`,
          `LoadModule authz_core_module ${MODULES}/mod_authz_core.so`,
          `LoadModule authz_user_module ${MODULES}/mod_authz_user.so`,
          `LoadModule oauth2_module ${MODULES}/mod_oauth2.so`,
          `DocumentRoot "${dir}/htdocs"`,
          '<Location /protected>',
          '  AuthType oauth2',
          `  OAuth2TokenVerify introspect ${auth.url}/oauth/introspect ${verifyOptions}`,
          '  Require valid-user',
          '</Location>',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      apache = spawn(APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      apache.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const since = performance.now();
      for (;;) {
        if (apache.exitCode !== null) {
          throw new Error(`apache2 exited with ${apache.exitCode}: ${stderr}`);
        }
        const ready = await fetch(`${apacheUrl}/`, { signal: AbortSignal.timeout(1_000) }).then(
          () => true,
          () => false,
        );
        if (ready) break;
        if (performance.now() - since > 20_000) throw new Error(`apache2 did not start: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });

    afterAll(async () => {
      if (apache !== undefined && apache.exitCode === null) {
        const exited = new Promise((resolve) => apache.once('exit', resolve));
        apache.kill('SIGTERM');
        await exited;
      }
      await auth?.close();
      await store?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('lets an active token through and refuses a missing, forged, expired or revoked one', async () => {
      const token = await tokenOf(caller);
      const ok = await get(token);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('protected content\n');

      const none = await get();
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);

      expect((await get('not-a-token')).status).toBe(401);

      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT(decodeJwt(token))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'forged' })
        .sign(privateKey);
      expect((await get(forged)).status).toBe(401);

      const brief = await tokenOf(shortLived);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      expect((await get(brief)).status).toBe(401);

      const revoked = await tokenOf(caller);
      expect((await get(revoked)).status).toBe(200);
      const res = await fetch(`${auth.url}/oauth/revoke`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${caller.clientId}:${caller.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: revoked }),
      });
      expect(res.status).toBe(200);
      expect((await get(revoked)).status).toBe(401);
      // The other token of the same client still passes.
      expect((await get(token)).status).toBe(200);
      const log = readFileSync(join(dir, 'error.log'), 'utf8');
      expect(log).not.toContain(token);
    });
  },
);
