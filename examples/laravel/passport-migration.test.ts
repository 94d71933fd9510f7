/**
 * The runbook of docs/passport-migration.md ("Migrating from Laravel Passport"), walked with real
 * processes while traffic flows, checking that no request fails at any step:
 *   1. import Passport's key and clients (`m2m-auth keys import`, `m2m-auth import passport` from
 *      the Laravel database), start `m2m-auth serve`;
 *   2. point the callers' AUTH_URL at it: a Passport-era caller (the JSON body PHP sends, numeric
 *      client_id, `scope: "*"`, no audience) keeps calling PHP receivers that verify Passport tokens
 *      with oauth-public.key, unchanged;
 *   3. move the receivers to @m2m-auth/verifier (ms_doctor, Node, both sources) and the PHP
 *      middleware (ms_college, both sources);
 *   4. move the caller to @m2m-auth/client with `audience` (the hospital's ms_admin);
 *   5. switch its client to RFC 9068 tokens (`m2m-auth client update --token-format rfc9068`);
 *   6. retire Passport: the receivers drop the Passport source.
 * Each deployment starts the new process before traffic moves to it and stops the old one after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, expect, it } from 'vitest';
import {
  createLaravelDatabase,
  fixtureSecrets,
  type LaravelDatabase,
} from '../../packages/server/test/helpers/laravel-database.js';
import {
  runCli,
  type ServeProcess,
  startServeProcess,
} from '../../packages/server/test/helpers/serve-process.js';
import {
  PHP_PASSPORT_ERA_SERVICE,
  type PhpService,
  phpAvailable,
  startPhpService,
} from './php-service.js';

const HOSPITAL = join(import.meta.dirname, '..', 'hospital');
const MANIFEST = `
services:
  ms_admin:
    token_ttl_sec: 8
    calls:
      ms_doctor: [doctors:read]
      ms_college: [colleges:read]
  ms_doctor:
    scopes: [doctors:read]
  ms_college:
    scopes: [colleges:read]
  ms_billing:
    passport_client: 6
    calls:
      ms_doctor: [doctors:read]
`;
const DOCTORS_PATH = '/doctors/api/some-data';
const COLLEGES_PATH = '/colleges/api/some-data';
/** ms_admin in the Passport fixture (passport12-hashed): id 3, a bcrypt-hashed secret. */
const ADMIN_ID = '3';
const ADMIN_SECRET = fixtureSecrets('passport12-hashed')[ADMIN_ID]!;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** A Node service of examples/hospital; resolves once it prints where it listens. */
async function startNodeService(
  script: string,
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [join(HOSPITAL, script)], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => reject(new Error(`${script} exited: ${output}`)));
  });
  const service = {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  cleanups.push(() => service.stop());
  return service;
}

async function php(env: Record<string, string>, entry?: string): Promise<PhpService> {
  const service = await startPhpService(env, entry);
  cleanups.push(() => service.stop());
  return service;
}

it.skipIf(!phpAvailable)(
  'walks the migration runbook with zero failed requests',
  { timeout: 240_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-passport-migration-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const laravel: LaravelDatabase = await createLaravelDatabase('sqlite', 'passport12-hashed');
    cleanups.push(() => laravel.drop());
    // Laravel's storage/oauth-*.key, as `php artisan passport:keys` writes them.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const passportPrivate = join(dir, 'oauth-private.key');
    const passportPublic = join(dir, 'oauth-public.key');
    writeFileSync(passportPrivate, privateKey.export({ type: 'pkcs1', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileSync(passportPublic, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'services.yaml'), MANIFEST);
    const cliEnv = {
      ...process.env,
      DATABASE_URL: `sqlite:${join(dir, 'm2m-auth.db')}`,
      M2M_AUTH_KEK: randomBytes(32).toString('base64'),
    };
    const cli = (...args: string[]) => runCli(args, { env: cliEnv, cwd: dir });

    // Traffic before the migration starts: receivers verifying Passport tokens as they do today.
    const passportEra = (routes: Record<string, string[]>) =>
      php(
        { PASSPORT_PUBLIC_KEY_PATH: passportPublic, M2M_AUTH_ROUTES: JSON.stringify(routes) },
        PHP_PASSPORT_ERA_SERVICE,
      );
    let doctor: { url: string; stop(): Promise<void> } = await passportEra({
      [`GET ${DOCTORS_PATH}`]: ['doctors:read'],
    });
    let college: { url: string; stop(): Promise<void> } = await passportEra({
      [`GET ${COLLEGES_PATH}`]: ['colleges:read'],
    });

    // Step 1: keys and clients.
    await cli('keys', 'import', '--private-key', passportPrivate);
    await cli('import', 'passport', '--from', laravel.url, '--manifest', 'services.yaml');
    const auth: ServeProcess = await startServeProcess([], { env: cliEnv, cwd: dir });
    cleanups.push(() => auth.stop());
    const tokenUrl = `${auth.url}/oauth/token`;

    // Step 2 on: traffic, until the end. Each iteration is one business request.
    let step = 'AUTH_URL points at m2m-auth';
    let caller: 'passport-era' | 'ms_admin' = 'passport-era';
    let admin: { url: string; stop(): Promise<void> } | undefined;
    const results: { step: string; ok: boolean; detail?: string }[] = [];
    let running = true;

    async function passportEraCall(): Promise<string | undefined> {
      const res = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: Number(ADMIN_ID),
          client_secret: ADMIN_SECRET,
          scope: '*',
        }),
      });
      if (res.status !== 200) return `token ${res.status} ${await res.text()}`;
      const { access_token: token } = (await res.json()) as { access_token: string };
      for (const url of [`${doctor.url}${DOCTORS_PATH}`, `${college.url}${COLLEGES_PATH}`]) {
        const call = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        if (call.status !== 200) return `${url} ${call.status} ${await call.text()}`;
      }
      return undefined;
    }

    async function adminCall(): Promise<string | undefined> {
      const res = await fetch(`${admin!.url}/admin/api/overview`);
      const body = (await res.json()) as Record<string, { status: number } | undefined>;
      if (
        res.status !== 200 ||
        body['ms_doctor']?.status !== 200 ||
        body['ms_college']?.status !== 200
      ) {
        return `ms_admin ${res.status} ${JSON.stringify(body)}`;
      }
      return undefined;
    }

    const traffic = (async () => {
      while (running) {
        const current = step;
        let failure: string | undefined;
        try {
          failure = caller === 'passport-era' ? await passportEraCall() : await adminCall();
        } catch (err) {
          failure = String(err);
        }
        results.push({
          step: current,
          ok: failure === undefined,
          ...(failure ? { detail: failure } : {}),
        });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const settle = async (n = 10) => {
      const target = results.length + n;
      for (let i = 0; i < 2000 && results.length < target; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    await settle();

    // Step 3: receivers move to the verifier, accepting both sources; then the old ones stop.
    step = 'receivers accept both';
    const m2mKeyFile = join(dir, 'm2m-public.key');
    await cli('keys', 'export-public', '--out', m2mKeyFile);
    const doctorEnv = {
      OAUTH_ISSUER: auth.url,
      OAUTH_AUDIENCE: 'ms_doctor',
      OAUTH_PUBLIC_KEY_PATH: m2mKeyFile,
    };
    const collegeEnv = {
      M2M_AUTH_ISSUER: auth.url,
      M2M_AUTH_AUDIENCE: 'ms_college',
      M2M_AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
      M2M_AUTH_ROUTES: JSON.stringify({ [`GET ${COLLEGES_PATH}`]: ['colleges:read'] }),
    };
    let old = [doctor, college];
    doctor = await startNodeService('ms_doctor.js', {
      ...doctorEnv,
      OAUTH_PASSPORT_PUBLIC_KEY_PATH: passportPublic,
    });
    college = await php({ ...collegeEnv, M2M_AUTH_PASSPORT_PUBLIC_KEY_PATH: passportPublic });
    await settle(3);
    for (const service of old) await service.stop();
    await settle();

    // Step 4: the caller moves to @m2m-auth/client with audience (its id and secret unchanged).
    step = 'caller uses @m2m-auth/client';
    admin = await startNodeService('ms_admin.js', {
      AUTH_URL: tokenUrl,
      OAUTH_CLIENT_ID: ADMIN_ID,
      OAUTH_CLIENT_SECRET: ADMIN_SECRET,
      MS_DOCTOR_URL: doctor.url,
      MS_COLLEGE_URL: college.url,
    });
    caller = 'ms_admin';
    await settle();

    // Step 5: RFC 9068 tokens for this client (aud = the receiving service).
    step = 'client on rfc9068';
    await cli('client', 'update', 'ms_admin', '--token-format', 'rfc9068');
    await settle();
    const probe = await fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: ADMIN_ID,
        client_secret: ADMIN_SECRET,
        audience: 'ms_doctor',
      }),
    });
    const { access_token: fresh } = (await probe.json()) as { access_token: string };
    expect(decodeProtectedHeader(fresh).typ).toBe('at+jwt');
    // Tokens issued before the switch live out their TTL (8 s here): wait before retiring Passport.
    await new Promise((resolve) => setTimeout(resolve, 10_000));

    // Step 6: retire Passport: receivers verify m2m-auth tokens only.
    step = 'Passport retired';
    old = [doctor, college];
    const newDoctor = await startNodeService('ms_doctor.js', doctorEnv);
    const newCollege = await php(collegeEnv);
    const oldAdmin = admin;
    admin = await startNodeService('ms_admin.js', {
      AUTH_URL: tokenUrl,
      OAUTH_CLIENT_ID: ADMIN_ID,
      OAUTH_CLIENT_SECRET: ADMIN_SECRET,
      MS_DOCTOR_URL: newDoctor.url,
      MS_COLLEGE_URL: newCollege.url,
    });
    doctor = newDoctor;
    college = newCollege;
    await settle(3);
    await oldAdmin.stop();
    for (const service of old) await service.stop();
    await settle();

    running = false;
    await traffic;
    const failed = results.filter((r) => !r.ok);
    expect(failed).toEqual([]);
    const perStep = Object.fromEntries(
      [...new Set(results.map((r) => r.step))].map((s) => [
        s,
        results.filter((r) => r.step === s).length,
      ]),
    );
    expect(Object.keys(perStep)).toEqual([
      'AUTH_URL points at m2m-auth',
      'receivers accept both',
      'caller uses @m2m-auth/client',
      'client on rfc9068',
      'Passport retired',
    ]);
    for (const count of Object.values(perStep)) expect(count).toBeGreaterThanOrEqual(3);
  },
);
