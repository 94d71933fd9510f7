/**
 * A compromised service: its client was revoked (`m2m-auth client revoke`), and the service needs a
 * new client under the same name (the name is also its audience). `provision --replace-revoked`
 * keeps the revoked client under another name and creates the new one, in one transaction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, startServer } from '@m2m-auth/server';
import { StoreError } from '@m2m-auth/server/errors';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basicAuth, decodeJwt, postForm, requestClientCredentials } from './helpers/auth-server.js';
import { expectStoreError } from './helpers/expect-store-error.js';
import {
  createProvisionWorkspace,
  type ProvisionWorkspace,
  runCliCaptured,
} from './helpers/provision-fixture.js';
import {
  createTestDatabase,
  dialectUnavailable,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

let ws: ProvisionWorkspace;
beforeEach(() => {
  ws = createProvisionWorkspace();
});
afterEach(() => {
  ws.remove();
});

/** Runs `m2m-auth client revoke <name>` on the workspace's database. */
async function revoke(name: string): Promise<void> {
  const run = await runCliCaptured(['client', 'revoke', name, '--database', ws.databaseUrl]);
  expect(run.code).toBe(0);
}

/** Every client row, as the store lists them. */
function clients() {
  return ws.withStore((store) => store.clients.list());
}

describe('provision after a client was revoked', () => {
  it('without --replace-revoked: refuses before any change and names the exact flag', async () => {
    expect((await ws.provision()).code).toBe(0);
    await revoke('ms_lab');
    const before = await clients();
    const revision = await ws.withStore((store) => store.revision());

    const run = await ws.provision('--rotate-secret', 'ms_admin');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('client ms_lab is revoked and cannot be reactivated');
    expect(run.stderr).toContain(`m2m-auth provision ${ws.manifest} --replace-revoked ms_lab`);
    // Nothing of the rest of the manifest was applied either (not even ms_admin's rotation).
    expect(await ws.withStore((store) => store.revision())).toBe(revision);
    expect(await clients()).toEqual(before);
  });

  it('with --replace-revoked: a new client under the name; the revoked one keeps its id, feed entry and audit rows', async () => {
    expect((await ws.provision()).code).toBe(0);
    const old = ws.readEnv('ms_lab');
    const oldId = old['OAUTH_CLIENT_ID'] as string;
    const oldSecret = old['OAUTH_CLIENT_SECRET'] as string;
    const oldRecord = (await clients()).find((c) => c.name === 'ms_lab');
    await ws.withStore((store) =>
      store.audit.append([
        {
          timeMs: Date.now(),
          outcome: 'issued',
          clientId: oldId,
          audience: 'ms_records',
          scopes: ['records:write'],
          jti: 'jti-before-compromise',
          sourceAddress: '127.0.0.1',
          reason: null,
          detail: null,
          status: 200,
        },
      ]),
    );
    await revoke('ms_lab');
    const revokedAt = (await clients()).find((c) => c.clientId === oldId)?.revokedAt;
    expect(revokedAt).not.toBeNull();

    // A dry run says what it would do and changes nothing.
    const revision = await ws.withStore((store) => store.revision());
    const dry = await ws.provision('--replace-revoked', 'ms_lab', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/\+ ms_lab\s+would create in place of revoked client/);
    expect(await ws.withStore((store) => store.revision())).toBe(revision);

    const { code, report } = await ws.provisionJson('--replace-revoked', 'ms_lab');
    expect(code).toBe(0);
    const lab = report.clients.find((c) => c.name === 'ms_lab');
    expect(lab).toMatchObject({ action: 'create', secret: 'created' });
    const renamedTo = `ms_lab.revoked-${revokedAt}`;
    expect((lab as unknown as { replaced: unknown }).replaced).toEqual({
      clientId: oldId,
      renamedTo,
    });
    // Only that client changed.
    expect(report.storeChanges).toBe(1);
    expect(
      report.clients.filter((c) => c.name !== 'ms_lab').every((c) => c.action === 'unchanged'),
    ).toBe(true);

    const after = await clients();
    const fresh = after.find((c) => c.name === 'ms_lab');
    const retired = after.find((c) => c.clientId === oldId);
    expect(fresh?.clientId).not.toBe(oldId);
    expect(fresh?.revokedAt).toBeNull();
    expect(fresh?.audiences).toEqual(oldRecord?.audiences);
    expect(fresh?.scopes).toEqual(oldRecord?.scopes);
    expect(retired).toMatchObject({ name: renamedTo, revokedAt });
    const env = ws.readEnv('ms_lab');
    expect(env['OAUTH_CLIENT_ID']).toBe(fresh?.clientId);
    expect(env['OAUTH_CLIENT_SECRET']).not.toBe(oldSecret);

    const store = await openStore({ databaseUrl: ws.databaseUrl, warn: () => {} });
    const server = await startServer({ store, port: 0, host: '127.0.0.1' });
    try {
      // The revocation feed still lists the old client_id, so its tokens stay refused.
      const feed = await store.revocations.list();
      expect(feed.clients.map((c) => c.clientId)).toContain(oldId);
      expect(feed.clients.find((c) => c.clientId === oldId)?.revokedAt).toBe(revokedAt);
      expect((await store.audit.list({ clientId: oldId })).map((e) => e.jti)).toEqual([
        'jti-before-compromise',
      ]);
      // The old credentials get nothing; the new ones get a token for the same audiences.
      expect((await requestClientCredentials(server.url, oldId, oldSecret)).status).toBe(401);
      const ok = await postForm(
        `${server.url}/oauth/token`,
        { grant_type: 'client_credentials', resource: 'ms_records' },
        {
          authorization: basicAuth(
            env['OAUTH_CLIENT_ID'] as string,
            env['OAUTH_CLIENT_SECRET'] as string,
          ),
        },
      );
      expect(ok.status).toBe(200);
      const { access_token } = (await ok.json()) as { access_token: string };
      expect(decodeJwt(access_token).payload).toMatchObject({
        aud: 'ms_records',
        client_id: fresh?.clientId,
      });
    } finally {
      await server.close();
      await store.close();
    }

    // Once replaced, a plain run is a no-op again; the flag now refuses (nothing is revoked).
    const again = await ws.provisionJson();
    expect(again.code).toBe(0);
    expect(again.report.storeChanges).toBe(0);
    const twice = await ws.provision('--replace-revoked', 'ms_lab');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(
      `ms_lab's client ${fresh?.clientId} is not revoked (revoke it first: m2m-auth client revoke ms_lab)`,
    );

    // Revoked and replaced a second time: the next retired name does not clash.
    await revoke('ms_lab');
    expect((await ws.provision('--replace-revoked', 'ms_lab')).code).toBe(0);
    const names = (await clients()).map((c) => c.name).filter((n) => n.startsWith('ms_lab'));
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
  });

  it('refuses --replace-revoked for a service with an active client, or one that calls nothing', async () => {
    expect((await ws.provision()).code).toBe(0);
    const active = await ws.provision('--replace-revoked', 'ms_admin');
    expect(active.code).toBe(1);
    expect(active.stderr).toContain('--replace-revoked replaces only a revoked client');

    const notCaller = await ws.provision('--replace-revoked', 'ms_college');
    expect(notCaller.code).toBe(1);
    expect(notCaller.stderr).toContain(
      'cannot replace the client of ms_college: not a calling service',
    );
  });

  it('is one transaction: when the new client cannot be stored, the revoked one keeps its name', async () => {
    expect((await ws.provision()).code).toBe(0);
    await revoke('ms_lab');
    const before = await clients();
    // Make the store fail after the rename, at the new client's secret: a real SQLite failure.
    const file = ws.databaseUrl.slice('sqlite:'.length);
    const db = new Database(file);
    db.exec(
      "CREATE TRIGGER refuse_secrets BEFORE INSERT ON m2m_client_secrets BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    );
    db.close();

    const run = await ws.provision('--replace-revoked', 'ms_lab');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('disk says no');
    expect(await clients()).toEqual(before);
  });
});

describe('provision --replace-revoked with client_auth: private_key_jwt', () => {
  it('registers a new key pair on the new client; the revoked one keeps its key', async () => {
    ws.writeManifest(
      readFileSync(ws.manifest, 'utf8').replace(
        /^# client_auth: private_key_jwt$/m,
        'client_auth: private_key_jwt',
      ),
    );
    expect((await ws.provision()).code).toBe(0);
    const oldId = ws.readEnv('ms_lab')['OAUTH_CLIENT_ID'] as string;
    const oldKey = readFileSync(join(ws.envDir, 'ms_lab.key'), 'utf8');
    await revoke('ms_lab');

    const { code, report } = await ws.provisionJson('--replace-revoked', 'ms_lab');
    expect(code).toBe(0);
    expect(report.storeChanges).toBe(1);
    const env = ws.readEnv('ms_lab');
    expect(env['OAUTH_CLIENT_ID']).not.toBe(oldId);
    expect(env['OAUTH_CLIENT_SECRET']).toBeUndefined();
    expect(readFileSync(join(ws.envDir, 'ms_lab.key'), 'utf8')).not.toBe(oldKey);
    await ws.withStore(async (store) => {
      const fresh = await store.clients.getCredentials(env['OAUTH_CLIENT_ID'] as string);
      expect(fresh?.client.name).toBe('ms_lab');
      expect(fresh?.publicKeys?.alg).toBe('ES256');
      expect((await store.clients.find(oldId))?.revokedAt).not.toBeNull();
    });
  });
});

describe.each(TEST_DIALECTS)('ClientStore.create with replacingRevoked (%s)', (dialect) => {
  it.skipIf(dialectUnavailable(dialect))(
    'renames only a revoked client holding the name',
    async () => {
      const database: TestDatabase = await createTestDatabase(dialect);
      const store = await openStore({ databaseUrl: database.url, warn: () => {} });
      try {
        const first = await store.clients.create({ name: 'orders', audiences: ['billing'] });
        const other = await store.clients.create({ name: 'billing' });
        // Active: not replaceable.
        await expectStoreError(
          store.clients.create({ name: 'orders' }, { replacingRevoked: first.client.clientId }),
          'ERR_CLIENT_NAME_TAKEN',
        );
        await store.clients.revoke('orders');
        // Another client's id: refused, nothing renamed.
        await store.clients.revoke('billing');
        const err = await expectStoreError(
          store.clients.create({ name: 'orders' }, { replacingRevoked: other.client.clientId }),
          'ERR_CLIENT_NAME_TAKEN',
        );
        expect(err).toBeInstanceOf(StoreError);
        expect((await store.clients.find(other.client.clientId))?.name).toBe('billing');

        const { client } = await store.clients.create(
          { name: 'orders', audiences: ['billing'] },
          { replacingRevoked: first.client.clientId },
        );
        const retired = await store.clients.find(first.client.clientId);
        expect(client.name).toBe('orders');
        expect(retired?.name).toMatch(/^orders\.revoked-\d+$/);
        expect(retired?.revokedAt).not.toBeNull();
      } finally {
        await store.close();
        await database.drop();
      }
    },
  );
});

describe('a long name', () => {
  it('is shortened so that the retired name stays within 64 characters', async () => {
    const name = `s${'x'.repeat(63)}`;
    const store = await openStore({
      databaseUrl: `sqlite:${join(ws.dir, 'long.db')}`,
      warn: () => {},
    });
    try {
      const first = await store.clients.create({ name });
      await store.clients.revoke(name);
      await store.clients.create({ name }, { replacingRevoked: first.client.clientId });
      const retired = await store.clients.find(first.client.clientId);
      expect(retired?.name.length).toBeLessThanOrEqual(64);
      expect(retired?.name).toMatch(/\.revoked-\d+$/);
    } finally {
      await store.close();
    }
  });
});
