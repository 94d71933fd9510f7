import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/app/open-store.js';
import { applyProvisionPlan } from '../src/provision/apply-provision-plan.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('provisioning racing a first serve for the signing key', () => {
  it('adopts a key that became active after the plan was made instead of failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-provision-race-'));
    dirs.push(dir);
    const store = await openStore({
      databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
      warn: () => {},
    });
    try {
      // The plan was computed while the store had no active key; `serve` then generated one.
      const servesKey = await store.keys.generate('RS256', { state: 'active' });
      const applied = await applyProvisionPlan(store, {
        generateKey: true,
        clients: [],
        unlisted: [],
        storeChanges: 1,
      });
      expect(applied.error).toBeUndefined();
      expect(applied.generatedKey).toBeUndefined();
      expect(applied.adoptedKey?.kid).toBe(servesKey.kid);
      const keys = await store.keys.list();
      expect(keys.map((k) => k.state)).toEqual(['active']);
    } finally {
      await store.close();
    }
  });
});
