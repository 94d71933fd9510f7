import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { openStore } from '@m2m-auth/server';
import { verifyClientSecret } from '@m2m-auth/server/clients';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HOSPITAL_MANIFEST, runCliCaptured } from './helpers/provision-fixture.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

describe.skipIf(dialectUnavailable('postgres'))('m2m-auth provision on PostgreSQL', () => {
  let db: TestDatabase;
  let envDir: string;
  let kek: string;
  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    envDir = join(mkdtempSync(join(tmpdir(), 'm2m-auth-provision-pg-')), 'env');
    kek = randomKek();
    vi.stubEnv('M2M_AUTH_KEK', kek);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    rmSync(join(envDir, '..'), { recursive: true, force: true });
    await db.drop();
  });

  it('provisions the hospital, then changes nothing on a second run', async () => {
    const args = [
      'provision',
      HOSPITAL_MANIFEST,
      '--database',
      db.url,
      '--env-dir',
      envDir,
      '--json',
    ];
    const first = await runCliCaptured(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ storeChanges: 9, complete: true });

    const second = await runCliCaptured(args);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ storeChanges: 0, complete: true });

    const env = parseEnv(readFileSync(join(envDir, 'ms_admin.env'), 'utf8'));
    const store = await openStore({ databaseUrl: db.url, kek });
    try {
      const creds = await store.clients.getCredentials(env['OAUTH_CLIENT_ID']!);
      const now = Math.floor(Date.now() / 1000);
      expect(verifyClientSecret(env['OAUTH_CLIENT_SECRET']!, creds!.secrets, now)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
