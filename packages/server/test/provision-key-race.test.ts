import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@m2m-auth/server';
import { parseManifest, provisionServices } from '@m2m-auth/server/provision';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const MANIFEST = parseManifest(
  `
services:
  ms_doctor:
    scopes: [doctors:read]
  ms_admin:
    calls:
      ms_doctor: [doctors:read]
`,
  'services.yaml',
);

/**
 * The real store, except that a first `serve` generates its active key at the very moment
 * provisioning asks for one: after the plan saw no active key, before provisioning's own key.
 */
function withServeRacing(store: Store): { store: Store; servesKey: () => string | undefined } {
  let servesKid: string | undefined;
  const keys = new Proxy(store.keys, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== 'generate' || typeof value !== 'function') return value;
      return async (...args: Parameters<Store['keys']['generate']>) => {
        if (servesKid === undefined) {
          servesKid = (await target.generate('RS256', { state: 'active' })).kid;
        }
        return value.apply(target, args);
      };
    },
  });
  return {
    store: new Proxy(store, { get: (t, n) => (n === 'keys' ? keys : Reflect.get(t, n)) }),
    servesKey: () => servesKid,
  };
}

describe('provisioning racing a first serve for the signing key', () => {
  it('adopts a key that became active after the plan was made instead of failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-provision-race-'));
    dirs.push(dir);
    const real = await openStore({
      databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
      warn: () => {},
    });
    try {
      const { store, servesKey } = withServeRacing(real);
      const report = await provisionServices(store, MANIFEST, {
        envDir: join(dir, 'env'),
        authUrl: 'http://127.0.0.1:8080',
      });
      expect(servesKey()).toBeDefined();
      expect(report.signingKey).toEqual({ action: 'keep', kid: servesKey(), alg: 'RS256' });
      expect(report.complete).toBe(true);
      const keys = await real.keys.list();
      expect(keys.map((k) => [k.kid, k.state])).toEqual([[servesKey(), 'active']]);
    } finally {
      await real.close();
    }
  });
});
