import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@m2m-auth/server';
import { importSigningKey } from '@m2m-auth/server/keys';
import { createLocalJWKSet, importSPKI, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpSqlite, runCliProcess, sharedCliDatabase } from './helpers/run-cli.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

/** A database set up once for the failing-command cases (removed after the file's tests). */
const failureDatabase = sharedCliDatabase([
  ['keys', 'generate', '--alg', 'ES256'],
  ['keys', 'rotate'],
]);

describe('m2m-auth keys', () => {
  let dir: string;
  let dbFile: string;
  let db: string;
  const cli = (...args: string[]) => runCliProcess(['--database', db, ...args], { cwd: dir });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-auth-cli-keys-'));
    dbFile = join(dir, 'auth.db');
    db = `sqlite:${dbFile}`;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function signWithActiveKey(): Promise<string> {
    const store = await openStore({ databaseUrl: db, env: {}, warn: () => {} });
    try {
      const material = await store.keys.active();
      if (material === undefined) throw new Error('no active key');
      return await new SignJWT({ sub: 'ms_admin' })
        .setProtectedHeader({ alg: material.alg, kid: material.kid, typ: 'at+jwt' })
        .setExpirationTime('5m')
        .sign(await importSigningKey(material));
    } finally {
      await store.close();
    }
  }

  it('generates an RS256 key by default, warns about the key file, and lists it', async () => {
    const generated = await cli('keys', 'generate');
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/^Generated RS256 signing key (\S+) \(active\)\.\n/);
    expect(generated.stderr).toBe(
      `m2m-auth: created a new SQLite database at ${dbFile}\n` +
        `m2m-auth: warning: created key-encryption key file ${dbFile}.kek (mode 0600); in production set M2M_AUTH_KEK (32 bytes, base64) instead\n`,
    );
    expect(statSync(`${dbFile}.kek`).mode & 0o777).toBe(0o600);
    const kid = /signing key (\S+)/.exec(generated.stdout)?.[1] as string;
    const list = await cli('keys', 'list');
    expect(list.stdout.split('\n')[0]).toMatch(/^KID +ALG +STATE +CREATED +NEXT CHANGE$/);
    expect(list.stdout).toMatch(
      new RegExp(`^${kid} +RS256 +active +\\d{4}-\\d\\d-\\d\\dT\\S+Z +-$`, 'm'),
    );
    const json = JSON.parse((await cli('keys', 'list', '--json')).stdout);
    expect(json).toEqual([
      expect.objectContaining({ kid, alg: 'RS256', state: 'active', next_change: null }),
    ]);
    expect(json[0].public_jwk).toMatchObject({ kid, alg: 'RS256', use: 'sig', kty: 'RSA' });
  });

  it('exports the active public key as a PEM that verifies tokens the store signs', async () => {
    await cli('keys', 'generate', '--alg', 'ES256');
    const exported = await cli('keys', 'export-public', '--out', 'oauth-public.key');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(
      /^Wrote the public key of \S+ \(ES256, active\) to oauth-public\.key\.\n$/,
    );
    const file = join(dir, 'oauth-public.key');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const pem = readFileSync(file, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    await jwtVerify(await signWithActiveKey(), await importSPKI(pem, 'ES256'));
    expect((await cli('keys', 'export-public')).stdout).toBe(pem);
  });

  it('never prints a private key', async () => {
    const outputs = [
      await cli('keys', 'generate'),
      await cli('keys', 'list', '--json'),
      await cli('keys', 'export-public', '--json'),
      await cli('keys', 'export-public', '--all'),
      await cli('keys', 'rotate', '--json'),
    ];
    for (const { stdout, stderr } of outputs)
      expect(stdout + stderr).not.toMatch(/PRIVATE KEY|"d":/);
  });

  it('imports a Passport PKCS#1 private key and exports the public key Passport verifiers already hold', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(
      join(dir, 'oauth-private.key'),
      privateKey.export({ type: 'pkcs1', format: 'pem' }),
      { mode: 0o600 },
    );
    const imported = await cli('keys', 'import', '--private-key', 'oauth-private.key');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^Imported RS256 key \S+ \(active\)\./);
    const pem = (await cli('keys', 'export-public')).stdout;
    expect(pem.trim()).toBe(publicKey.export({ type: 'spki', format: 'pem' }).toString().trim());
  });

  it.each([
    [
      ['keys', 'import', '--private-key', '/work/shared/fixtures/passport/oauth-public.key'],
      'm2m-auth: error: this is a public key or certificate; pass the private key (e.g. oauth-private.key)',
    ],
    [
      ['keys', 'import', '--private-key', 'missing.key'],
      'm2m-auth: error: cannot read missing.key: ENOENT',
    ],
    [['keys', 'import'], "m2m-auth: error: required option '--private-key <file>' not specified"],
    [
      ['keys', 'generate', '--alg', 'HS256'],
      /^m2m-auth: error: option '--alg <alg>' argument 'HS256' is invalid\. Allowed choices are RS256, ES256, EdDSA\.$/,
    ],
    [['keys', 'export-public', '--kid', 'nope'], 'm2m-auth: error: no signing key with kid "nope"'],
    [
      ['keys', 'export-public', '--all', '--kid', 'x'],
      'm2m-auth: error: give either --all or --kid, not both',
    ],
    [
      ['keys', 'rotate'],
      /^m2m-auth: error: key \S+ already becomes active at \S+; use --now to activate it at once$/,
    ],
    [
      ['keys', 'rotate', '--propagation', 'soon'],
      /^m2m-auth: error: option '--propagation <sec>' argument 'soon' is invalid/,
    ],
    [['keys', 'revoke', 'nope'], 'm2m-auth: error: no signing key with kid "nope"'],
    [['keys', 'frobnicate'], /^m2m-auth: error: unknown command 'frobnicate'/],
  ] as [string[], string | RegExp][])(
    'fails %j with a one-line error and leaves the database unchanged',
    async (args, message) => {
      // One database for every case: each failure must leave it exactly as the setup made it.
      const shared = await failureDatabase();
      const before = dumpSqlite(shared.file);
      const result = await runCliProcess(['--database', `sqlite:${shared.file}`, ...args], {
        cwd: shared.dir,
      });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      // Our own errors end with their code; commander's usage errors have none.
      const text = result.stderr.trimEnd().replace(/ \[ERR_[A-Z0-9_]+\]$/, '');
      if (typeof message === 'string') expect(text).toBe(message);
      else expect(text).toMatch(message);
      expect(dumpSqlite(shared.file)).toBe(before);
    },
  );

  it('says how to pass a kid that begins with "-", which the parser takes for an option', async () => {
    const kid = `-${'A'.repeat(42)}`;
    const result = await cli('keys', 'revoke', kid);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`m2m-auth: error: unknown option '${kid}'`);
    expect(result.stderr).toContain(
      `m2m-auth: a kid that begins with "-" goes after "--", e.g. m2m-auth keys revoke -- ${kid}`,
    );
    // And with "--" it reaches the command.
    expect((await cli('migrate')).code).toBe(0);
    expect((await cli('keys', 'revoke', '--', kid)).stderr).toBe(
      `m2m-auth: error: no signing key with kid "${kid}" [ERR_KEY_NOT_FOUND]\n`,
    );
  });

  it('says how to start when there is no key', async () => {
    expect((await cli('migrate')).code).toBe(0);
    expect((await cli('keys', 'list')).stdout).toBe(
      'No signing keys. Create one with: m2m-auth keys generate\n',
    );
    const exported = await cli('keys', 'export-public');
    expect(exported.code).toBe(1);
    expect(exported.stderr).toBe(
      'm2m-auth: error: no active signing key; create one with: m2m-auth keys generate [ERR_NO_ACTIVE_KEY]\n',
    );
  });

  it('rotates through next, active and retired, showing when each key changes next', async () => {
    const first = JSON.parse((await cli('keys', 'generate', '--alg', 'ES256', '--json')).stdout);
    const rotated = await cli('keys', 'rotate', '--propagation', '600');
    expect(rotated.stdout).toMatch(
      /^Created ES256 key (\S+)\.\nKey \1 is published and becomes active at \S+Z\.\n$/,
    );
    const list = (await cli('keys', 'list')).stdout;
    expect(list).toMatch(new RegExp(`^${first.kid} +ES256 +active +\\S+ +retired at \\S+Z$`, 'm'));
    expect(list).toMatch(/^\S+ +ES256 +next +\S+ +active at \S+Z$/m);

    const jwksFile = join(dir, 'jwks.json');
    const all = await cli('keys', 'export-public', '--all', '--out', jwksFile);
    expect(all.stdout).toBe(`Wrote 2 published key(s) as a JWKS to ${jwksFile}.\n`);
    const jwks = JSON.parse(readFileSync(jwksFile, 'utf8'));
    expect(jwks.keys.map((k: { kid: string }) => k.kid)[0]).toBe(first.kid);
    expect(jwks.keys).toHaveLength(2);
    // A token from the active key verifies against the exported file.
    await jwtVerify(await signWithActiveKey(), createLocalJWKSet(jwks));

    const now = await cli('keys', 'rotate', '--now', '--json');
    const change = JSON.parse(now.stdout);
    expect(change.retired.map((k: { kid: string }) => k.kid)).toEqual([first.kid]);
    expect(change.activated).toHaveLength(1);
    expect((await cli('keys', 'list')).stdout).toMatch(
      new RegExp(`^${first.kid} +ES256 +retired +\\S+ +leaves JWKS at \\S+Z$`, 'm'),
    );

    // "--" because a kid can begin with "-" (1 in 64), which the parser would take for an option.
    const revoked = await cli('keys', 'revoke', '--', first.kid);
    expect(revoked.stdout).toBe(`Revoked key ${first.kid}: removed from the JWKS.\n`);
    expect((await cli('keys', 'revoke', '--', first.kid)).stdout).toBe(
      `Key ${first.kid} was already revoked.\n`,
    );
    const after = JSON.parse((await cli('keys', 'export-public', '--all')).stdout);
    expect(after.keys.map((k: { kid: string }) => k.kid)).not.toContain(first.kid);
  });

  it('lets several CLI processes open a fresh database at the same time', async () => {
    const results = await Promise.all([
      cli('client', 'create', 'ms_a'),
      cli('client', 'create', 'ms_b'),
      cli('keys', 'generate', '--alg', 'ES256'),
      // A command that creates the database: a read-only one (client list) refuses a database that
      // does not exist yet, so it would fail whenever it ran before the others had created it.
      cli('migrate'),
    ]);
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const list = JSON.parse((await cli('client', 'list', '--json')).stdout);
    expect(list.map((c: { name: string }) => c.name)).toEqual(['ms_a', 'ms_b']);
  });

  it('starts exactly one rotation when two processes rotate at the same time', async () => {
    await cli('keys', 'generate', '--alg', 'ES256');
    const results = await Promise.all([cli('keys', 'rotate'), cli('keys', 'rotate')]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(results.find((r) => r.code === 1)?.stderr).toMatch(/already becomes active at/);
    const keys = JSON.parse((await cli('keys', 'list', '--json')).stdout);
    expect(keys.map((k: { state: string }) => k.state).sort()).toEqual(['active', 'next']);
  });

  it.each(['generate', 'list', 'export-public', 'import', 'rotate', 'revoke'])(
    'shows options and an example in `keys %s --help`',
    async (command) => {
      const result = await runCliProcess(['keys', command, '--help'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('--database <url>');
      expect(result.stdout).toMatch(/Examples?:\n {2}\$ m2m-auth keys /);
    },
  );
});

describe.skipIf(dialectUnavailable('postgres'))('m2m-auth on PostgreSQL', () => {
  let database: TestDatabase;
  const dir = tmpdir();
  beforeEach(async () => {
    database = await createTestDatabase('postgres');
  });
  afterEach(async () => {
    await database.drop();
  });

  it('runs key and client commands with DATABASE_URL and M2M_AUTH_KEK', async () => {
    const env = { DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
    const generated = await runCliProcess(['keys', 'generate', '--alg', 'EdDSA'], {
      cwd: dir,
      env,
    });
    expect(generated).toMatchObject({ code: 0, stderr: '' });
    expect(
      (
        await runCliProcess(['client', 'create', 'ms_admin', '--audiences', 'ms_doctor'], {
          cwd: dir,
          env,
        })
      ).code,
    ).toBe(0);
    const keys = JSON.parse(
      (await runCliProcess(['keys', 'list', '--json'], { cwd: dir, env })).stdout,
    );
    expect(keys).toEqual([expect.objectContaining({ alg: 'EdDSA', state: 'active' })]);
  });

  it('refuses to generate a key without M2M_AUTH_KEK and changes nothing', async () => {
    const result = await runCliProcess(['keys', 'generate'], {
      cwd: dir,
      env: { DATABASE_URL: database.url },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'm2m-auth: error: M2M_AUTH_KEK is required with PostgreSQL (32 bytes, base64; generate one with: openssl rand -base64 32) [ERR_KEK_REQUIRED]\n',
    );
    const list = await runCliProcess(['keys', 'list', '--json'], {
      cwd: dir,
      env: { DATABASE_URL: database.url },
    });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
