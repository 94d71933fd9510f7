import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyClientSecret } from '@m2m-auth/server/clients';
import { exportPublicKeyPem } from '@m2m-auth/server/keys';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProvisionWorkspace, type ProvisionWorkspace } from './helpers/provision-fixture.js';

const CALLERS = [
  'ms_admin',
  'ms_doctor',
  'ms_patient',
  'ms_appointment',
  'ms_pharmacy',
  'ms_lab',
  'ms_billing',
  'ms_records',
];
const RECEIVERS = [
  'ms_doctor',
  'ms_college',
  'ms_patient',
  'ms_appointment',
  'ms_pharmacy',
  'ms_lab',
  'ms_billing',
  'ms_notification',
  'ms_records',
];
const nowSec = () => Math.floor(Date.now() / 1000);

let ws: ProvisionWorkspace;
beforeEach(() => {
  ws = createProvisionWorkspace();
});
afterEach(() => {
  ws.remove();
});

/** Whether `secret` is an accepted secret of the client `name` in the store. */
async function secretWorks(name: string, secret: string | undefined): Promise<boolean> {
  return ws.withStore(async (store) => {
    const client = await store.clients.find(name);
    const creds = client && (await store.clients.getCredentials(client.clientId));
    return !!creds && secret !== undefined && verifyClientSecret(secret, creds.secrets, nowSec());
  });
}

/** Every file of the env folder with its content. */
function envFolder(): Map<string, string> {
  return new Map(
    readdirSync(ws.envDir).map((name) => [name, readFileSync(join(ws.envDir, name), 'utf8')]),
  );
}

describe('m2m-auth provision on the hospital manifest', () => {
  it('creates one client per calling service, audiences = the services it calls, scopes = their union', async () => {
    const { code, report } = await ws.provisionJson('--auth-url', 'http://127.0.0.1:8080');
    expect(code).toBe(0);
    expect(report.clients.map((c) => [c.name, c.action])).toEqual(
      CALLERS.map((name) => [name, 'create']),
    );

    const clients = await ws.withStore((store) => store.clients.list());
    expect(clients.map((c) => c.name).sort()).toEqual([...CALLERS].sort());
    const admin = clients.find((c) => c.name === 'ms_admin')!;
    expect([...admin.audiences].sort()).toEqual([
      'ms_college',
      'ms_doctor',
      'ms_lab',
      'ms_pharmacy',
    ]);
    expect([...admin.scopes].sort()).toEqual([
      'colleges:read',
      'doctors:read',
      'lab-results:read',
      'prescriptions:read',
    ]);
    // The demo's 403: a client that calls ms_doctor without doctors:read.
    const appointment = clients.find((c) => c.name === 'ms_appointment')!;
    expect(appointment.audiences).toContain('ms_doctor');
    expect(appointment.scopes).not.toContain('doctors:read');
    // Receivers that call nobody get no client.
    expect(clients.find((c) => c.name === 'ms_college')).toBeUndefined();
  });

  it('generates a signing key when none is active, says so, and keeps it on the next run', async () => {
    const first = await ws.provisionJson();
    expect(first.report.signingKey.action).toBe('generate');
    expect(first.report.signingKey.alg).toBe('RS256');
    const keys = await ws.withStore((store) => store.keys.list());
    expect(keys.filter((k) => k.state === 'active').map((k) => k.kid)).toEqual([
      first.report.signingKey.kid,
    ]);

    const text = await ws.provision();
    expect(text.stdout).toContain(`active RS256 key, kid ${first.report.signingKey.kid}`);
    expect((await ws.withStore((store) => store.keys.list())).length).toBe(1);
  });

  it("writes each caller's client_id and a working secret to its own .env, with the token endpoint", async () => {
    await ws.provisionJson('--auth-url', 'http://127.0.0.1:9999/');
    for (const name of CALLERS) {
      const env = ws.readEnv(name);
      const client = await ws.withStore((store) => store.clients.find(name));
      expect(env['AUTH_URL']).toBe('http://127.0.0.1:9999/oauth/token');
      expect(env['OAUTH_CLIENT_ID']).toBe(client?.clientId);
      expect(await secretWorks(name, env['OAUTH_CLIENT_SECRET'])).toBe(true);
    }
    expect(ws.readEnv('ms_college')['OAUTH_CLIENT_SECRET']).toBeUndefined();
  });

  it("puts a service's secret in its own file only, and prints no secret", async () => {
    const run = await ws.provision();
    const json = await ws.provisionJson();
    const files = envFolder();
    for (const name of CALLERS) {
      const secret = ws.readEnv(name)['OAUTH_CLIENT_SECRET']!;
      expect(secret.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
      const holders = [...files].filter(([, content]) => content.includes(secret));
      expect(holders.map(([file]) => file)).toEqual([`${name}.env`]);
      expect(run.stdout + run.stderr).not.toContain(secret);
      expect(JSON.stringify(json.report) + json.stderr).not.toContain(secret);
    }
  });

  it('gives receivers the public key path, the JWKS URL, the issuer and their own name as audience', async () => {
    await ws.provisionJson('--auth-url', 'http://127.0.0.1:8080');
    const activeKey = await ws.withStore(
      async (store) => (await store.keys.list()).find((k) => k.state === 'active')!,
    );
    const keyPath = join(ws.envDir, 'oauth-public.key');
    expect(readFileSync(keyPath, 'utf8')).toBe(await exportPublicKeyPem(activeKey.publicJwk));
    // Receivers get the JWK Set of every published key, which follows a rotation.
    const jwksPath = join(ws.envDir, 'jwks.json');
    expect(JSON.parse(readFileSync(jwksPath, 'utf8'))).toEqual({ keys: [activeKey.publicJwk] });
    for (const name of RECEIVERS) {
      expect(ws.readEnv(name)).toMatchObject({
        OAUTH_PUBLIC_KEY_PATH: jwksPath,
        OAUTH_JWKS_URL: 'http://127.0.0.1:8080/.well-known/jwks.json',
        OAUTH_ISSUER: 'http://127.0.0.1:8080',
        OAUTH_AUDIENCE: name,
      });
    }
    expect(ws.readEnv('ms_admin')['OAUTH_AUDIENCE']).toBeUndefined();
    expect(readdirSync(ws.envDir).sort()).toEqual(
      [...new Set([...CALLERS, ...RECEIVERS, 'ms_admin'])]
        .map((n) => `${n}.env`)
        .concat('oauth-public.key', 'jwks.json')
        .sort(),
    );
  });

  it('takes --issuer and --jwks-url over the manifest and the base URL', async () => {
    await ws.provisionJson(
      '--issuer',
      'https://auth.hospital.example',
      '--jwks-url',
      'https://auth.hospital.example/keys',
    );
    expect(ws.readEnv('ms_doctor')).toMatchObject({
      OAUTH_ISSUER: 'https://auth.hospital.example',
      OAUTH_JWKS_URL: 'https://auth.hospital.example/keys',
      // The manifest's auth_url still gives the token endpoint.
      AUTH_URL: 'http://127.0.0.1:8080/oauth/token',
    });
  });

  it('writes every file with mode 0600, in a folder of mode 0700', async () => {
    await ws.provision();
    expect(statSync(ws.envDir).mode & 0o777).toBe(0o700);
    const names = readdirSync(ws.envDir);
    expect(names.length).toBe(12); // ten .env files, oauth-public.key, jwks.json
    for (const name of names) {
      expect({ name, mode: statSync(join(ws.envDir, name)).mode & 0o777 }).toEqual({
        name,
        mode: 0o600,
      });
    }
  });

  it('leaves no temporary file behind', async () => {
    await ws.provision();
    await ws.provision('--rotate-secrets');
    expect(readdirSync(ws.envDir).filter((n) => n.endsWith('.tmp') || n.startsWith('.'))).toEqual(
      [],
    );
  });
});

describe('m2m-auth provision is idempotent', () => {
  it('changes nothing on a second run: same clients, same secrets, untouched files', async () => {
    await ws.provision();
    const revision = await ws.withStore((store) => store.revision());
    const before = envFolder();
    const mtimes = new Map(
      [...before.keys()].map((n) => [n, statSync(join(ws.envDir, n)).mtimeMs]),
    );

    const { code, report } = await ws.provisionJson();
    expect(code).toBe(0);
    expect(report.storeChanges).toBe(0);
    expect(report.signingKey.action).toBe('keep');
    expect(new Set(report.clients.map((c) => c.action))).toEqual(new Set(['unchanged']));
    expect(new Set(report.clients.map((c) => c.secret))).toEqual(new Set(['kept']));
    expect(new Set(report.files.map((f) => f.action))).toEqual(new Set(['unchanged']));
    expect(report.warnings).toEqual([]);

    expect(await ws.withStore((store) => store.revision())).toBe(revision);
    expect(envFolder()).toEqual(before);
    for (const [name, mtime] of mtimes) {
      expect(statSync(join(ws.envDir, name)).mtimeMs).toBe(mtime);
    }
    for (const name of CALLERS) {
      expect(await secretWorks(name, ws.readEnv(name)['OAUTH_CLIENT_SECRET'])).toBe(true);
    }
  });

  it('updates only the client whose calls changed, keeping its secret', async () => {
    await ws.provision();
    const adminSecret = ws.readEnv('ms_admin')['OAUTH_CLIENT_SECRET'];
    const text = readFileSync(ws.manifest, 'utf8').replace(
      '      ms_lab: [lab-results:read]\n\n  ms_doctor:',
      '      ms_lab: [lab-results:read]\n      ms_records: [records:read]\n\n  ms_doctor:',
    );
    ws.writeManifest(text);

    const { code, report } = await ws.provisionJson();
    expect(code).toBe(0);
    expect(report.storeChanges).toBe(1);
    const admin = report.clients.find((c) => c.name === 'ms_admin')!;
    expect(admin).toMatchObject({ action: 'update', secret: 'kept' });
    expect(report.clients.filter((c) => c.action !== 'unchanged').map((c) => c.name)).toEqual([
      'ms_admin',
    ]);
    const stored = await ws.withStore((store) => store.clients.find('ms_admin'));
    expect([...stored!.audiences].sort()).toEqual([
      'ms_college',
      'ms_doctor',
      'ms_lab',
      'ms_pharmacy',
      'ms_records',
    ]);
    expect([...stored!.scopes].sort()).toEqual([
      'colleges:read',
      'doctors:read',
      'lab-results:read',
      'prescriptions:read',
      'records:read',
    ]);
    expect(ws.readEnv('ms_admin')['OAUTH_CLIENT_SECRET']).toBe(adminSecret);
    expect(readFileSync(join(ws.envDir, 'ms_admin.env'), 'utf8')).toContain(
      'may call ms_records with records:read',
    );
  });
});

describe('m2m-auth provision --dry-run', () => {
  it('prints the plan and creates nothing: no client, no key, no env folder', async () => {
    const run = await ws.provision('--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dry run: nothing was changed');
    expect(run.stdout).toMatch(/\+ ms_admin\s+would create: audiences ms_college ms_doctor/);
    expect(run.stdout).toContain('would generate RS256');
    await ws.withStore(async (store) => {
      expect(await store.clients.list()).toEqual([]);
      expect(await store.keys.list()).toEqual([]);
    });
    expect(() => statSync(ws.envDir)).toThrow();
  });

  it('reports the changes of an edited manifest without making them', async () => {
    await ws.provision();
    const revision = await ws.withStore((store) => store.revision());
    const before = envFolder();
    ws.writeManifest(
      readFileSync(ws.manifest, 'utf8').replace(
        '      ms_doctor: [doctors:read]\n',
        '      ms_doctor: [doctors:read, doctors:write]\n',
      ),
    );

    const { code, report } = await ws.provisionJson('--dry-run', '--rotate-secret', 'ms_lab');
    expect(code).toBe(0);
    expect(report.dryRun).toBe(true);
    expect(report.storeChanges).toBe(2);
    expect(report.clients.find((c) => c.name === 'ms_admin')).toMatchObject({
      action: 'update',
      changes: [{ field: 'scopes', added: ['doctors:write'], removed: [] }],
    });
    expect(report.clients.find((c) => c.name === 'ms_lab')?.secret).toBe('rotated');

    expect(await ws.withStore((store) => store.revision())).toBe(revision);
    const admin = await ws.withStore((store) => store.clients.find('ms_admin'));
    expect(admin?.scopes).not.toContain('doctors:write');
    expect(envFolder()).toEqual(before);
  });
});

describe('m2m-auth provision --prune', () => {
  const SMALL = [
    'auth_url: http://127.0.0.1:8080',
    'keep: [ops_console]',
    'services:',
    '  ms_admin:',
    '    calls: { ms_doctor: [doctors:read] }',
    '  ms_lab:',
    '    calls: { ms_doctor: [doctors:read] }',
    '  ms_doctor:',
    '    scopes: [doctors:read]',
    '',
  ].join('\n');

  beforeEach(async () => {
    ws.writeManifest(SMALL);
    await ws.provision();
    await ws.withStore(async (store) => {
      await store.clients.create({ name: 'ops_console', audiences: ['ms_doctor'] });
      await store.clients.create({ name: 'legacy_batch', audiences: ['ms_doctor'] });
    });
    // ms_lab leaves the manifest.
    ws.writeManifest(SMALL.replace('  ms_lab:\n    calls: { ms_doctor: [doctors:read] }\n', ''));
  });

  it('without --prune, leaves unlisted clients active and warns about them', async () => {
    const run = await ws.provision();
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: legacy_batch: active client not described/);
    expect(run.stderr).toMatch(/warning: ms_lab: active client not described/);
    const active = await ws.withStore(async (store) =>
      (await store.clients.list()).filter((c) => c.revokedAt === null).map((c) => c.name),
    );
    expect(active.sort()).toEqual(['legacy_batch', 'ms_admin', 'ms_lab', 'ops_console']);
  });

  it('revokes the clients no longer listed, except those under keep', async () => {
    const { code, report } = await ws.provisionJson('--prune');
    expect(code).toBe(0);
    expect(report.unlisted.map((c) => [c.name, c.action])).toEqual([
      ['legacy_batch', 'revoke'],
      ['ms_lab', 'revoke'],
      ['ops_console', 'keep'],
    ]);
    const byName = await ws.withStore(
      async (store) => new Map((await store.clients.list()).map((c) => [c.name, c])),
    );
    expect(byName.get('ms_lab')?.revokedAt).not.toBeNull();
    expect(byName.get('legacy_batch')?.revokedAt).not.toBeNull();
    expect(byName.get('ops_console')?.revokedAt).toBeNull();
    expect(byName.get('ms_admin')?.revokedAt).toBeNull();

    // Pruning again has nothing left to do.
    const again = await ws.provisionJson('--prune');
    expect(again.report.storeChanges).toBe(0);
  });

  it('with --dry-run, lists what it would revoke and revokes nothing', async () => {
    const run = await ws.provision('--prune', '--dry-run');
    expect(run.stdout).toMatch(/- ms_lab\s+would revoke/);
    const revoked = await ws.withStore(async (store) =>
      (await store.clients.list()).filter((c) => c.revokedAt !== null),
    );
    expect(revoked).toEqual([]);
  });

  it('refuses to provision a listed service whose client was revoked, changing nothing', async () => {
    await ws.provision('--prune');
    ws.writeManifest(SMALL);
    const revision = await ws.withStore((store) => store.revision());
    const run = await ws.provision();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('client ms_lab is revoked and cannot be reactivated');
    expect(await ws.withStore((store) => store.revision())).toBe(revision);
  });
});

describe('m2m-auth provision and secrets', () => {
  it('reports an existing client whose .env is missing, without a new secret, and exits 3', async () => {
    await ws.provision();
    const adminId = ws.readEnv('ms_admin')['OAUTH_CLIENT_ID'];
    const adminSecret = ws.readEnv('ms_admin')['OAUTH_CLIENT_SECRET'];
    rmSync(join(ws.envDir, 'ms_admin.env'));
    const revision = await ws.withStore((store) => store.revision());

    const run = await ws.provision();
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `warning: ms_admin: client ${adminId} exists but ${join(ws.envDir, 'ms_admin.env')} is missing`,
    );
    expect(run.stderr).toContain('--rotate-secret ms_admin');
    expect(run.stdout).toMatch(/! ms_admin\.env\s+skipped/);
    expect(() => statSync(join(ws.envDir, 'ms_admin.env'))).toThrow();
    expect(await ws.withStore((store) => store.revision())).toBe(revision);
    expect(await secretWorks('ms_admin', adminSecret)).toBe(true);

    const json = await ws.provisionJson();
    expect(json.code).toBe(3);
    expect(json.report.complete).toBe(false);
    expect(json.report.clients.find((c) => c.name === 'ms_admin')?.secret).toBe('missing');
  });

  it('treats a .env whose secret is no longer accepted like a missing one', async () => {
    await ws.provision();
    await ws.withStore((store) => store.clients.rotateSecret('ms_lab', 0));
    const { code, report } = await ws.provisionJson();
    expect(code).toBe(3);
    expect(report.files.find((f) => f.service === 'ms_lab')).toMatchObject({
      action: 'skip',
      reason: expect.stringContaining('is no longer accepted'),
    });
  });

  it('--rotate-secret gives one client a new secret, writes it, and the old one stops working', async () => {
    await ws.provision();
    rmSync(join(ws.envDir, 'ms_admin.env'));
    const oldLabSecret = ws.readEnv('ms_lab')['OAUTH_CLIENT_SECRET'];
    const adminBefore = await ws.withStore((store) => store.clients.find('ms_admin'));

    const { code, report } = await ws.provisionJson('--rotate-secret', 'ms_admin');
    expect(code).toBe(0);
    expect(report.storeChanges).toBe(1);
    expect(report.clients.find((c) => c.name === 'ms_admin')?.secret).toBe('rotated');
    const env = ws.readEnv('ms_admin');
    expect(env['OAUTH_CLIENT_ID']).toBe(adminBefore?.clientId);
    expect(await secretWorks('ms_admin', env['OAUTH_CLIENT_SECRET'])).toBe(true);
    expect(ws.readEnv('ms_lab')['OAUTH_CLIENT_SECRET']).toBe(oldLabSecret);
  });

  it('--rotate-secrets gives every existing client a new secret and invalidates the old ones', async () => {
    await ws.provision();
    const old = new Map(CALLERS.map((n) => [n, ws.readEnv(n)['OAUTH_CLIENT_SECRET']]));

    const { code, report } = await ws.provisionJson('--rotate-secrets');
    expect(code).toBe(0);
    expect(report.storeChanges).toBe(CALLERS.length);
    for (const name of CALLERS) {
      const secret = ws.readEnv(name)['OAUTH_CLIENT_SECRET'];
      expect(secret).not.toBe(old.get(name));
      expect(await secretWorks(name, secret)).toBe(true);
      expect(await secretWorks(name, old.get(name))).toBe(false);
    }
  });

  it('--secret-grace-sec keeps the old secret accepted for a while after rotation', async () => {
    await ws.provision();
    const old = ws.readEnv('ms_admin')['OAUTH_CLIENT_SECRET'];
    await ws.provision('--rotate-secret', 'ms_admin', '--secret-grace-sec', '600');
    expect(await secretWorks('ms_admin', old)).toBe(true);
    expect(await secretWorks('ms_admin', ws.readEnv('ms_admin')['OAUTH_CLIENT_SECRET'])).toBe(true);
  });

  it('refuses to rotate the secret of a service that has no client, changing nothing', async () => {
    await ws.provision();
    const revision = await ws.withStore((store) => store.revision());
    const run = await ws.provision('--rotate-secret', 'ms_college');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot rotate the secret of ms_college');
    expect(await ws.withStore((store) => store.revision())).toBe(revision);
  });
});

describe('m2m-auth provision before any change', () => {
  it('refuses an env folder it cannot create, before creating any client or key', async () => {
    writeFileSync(join(ws.dir, 'not-a-folder'), '');
    const run = await ws.provision('--env-dir', join(ws.dir, 'not-a-folder', 'env'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot write to ${join(ws.dir, 'not-a-folder', 'env')}`);
    await ws.withStore(async (store) => {
      expect(await store.clients.list()).toEqual([]);
      expect(await store.keys.list()).toEqual([]);
    });
  });

  it('generates the signing key with --alg when none is active', async () => {
    const { report } = await ws.provisionJson('--alg', 'ES256');
    expect(report.signingKey).toMatchObject({ action: 'generate', alg: 'ES256' });
    expect(readFileSync(join(ws.envDir, 'oauth-public.key'), 'utf8')).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n/,
    );
  });
});

describe('m2m-auth provision when the store fails midway', () => {
  it('keeps the secrets it obtained in their .env files, says where it stopped, and a re-run finishes', async () => {
    const manifest = [
      'auth_url: http://127.0.0.1:8080',
      'services:',
      '  ms_doctor:',
      '    scopes: [doctors:read]',
      '  ms_admin:',
      '    calls: { ms_doctor: [doctors:read] }',
      '  ms_lab:',
      '    calls: { ms_doctor: [doctors:read] }',
      '',
    ].join('\n');
    ws.writeManifest(manifest);
    expect((await ws.provision()).code).toBe(0);
    // A real database failure: SQLite refuses to insert one client (as a full disk would).
    const file = ws.databaseUrl.slice('sqlite:'.length);
    const db = new Database(file);
    db.exec(
      "create trigger refuse_ms_x before insert on m2m_clients when new.name = 'ms_x' begin select raise(abort, 'disk full'); end",
    );
    ws.writeManifest(
      `${manifest}  ms_new:\n    calls: { ms_doctor: [doctors:read] }\n  ms_x:\n    calls: { ms_doctor: [doctors:read] }\n`,
    );

    const run = await ws.provision();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('provisioning stopped after 1 of 2 store changes');
    expect(run.stderr).toContain('disk full');
    // ms_new was created: its secret exists only in its .env, which was written.
    expect(await secretWorks('ms_new', ws.readEnv('ms_new')['OAUTH_CLIENT_SECRET'])).toBe(true);
    expect(() => statSync(join(ws.envDir, 'ms_x.env'))).toThrow();

    db.exec('drop trigger refuse_ms_x');
    db.close();
    const rerun = await ws.provisionJson();
    expect(rerun.code).toBe(0);
    expect(rerun.report.clients.map((c) => [c.name, c.action])).toEqual([
      ['ms_admin', 'unchanged'],
      ['ms_lab', 'unchanged'],
      ['ms_new', 'unchanged'],
      ['ms_x', 'create'],
    ]);
    expect(await secretWorks('ms_x', ws.readEnv('ms_x')['OAUTH_CLIENT_SECRET'])).toBe(true);
  });
});
