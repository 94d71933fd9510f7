/**
 * One rule set for a client's fields: the store (behind the CLI and the admin API) and the
 * provisioning manifest accept and refuse the same values, checked against one table of cases.
 */
import { openStore, type Store } from '@m2m-auth/server';
import { M2mAuthError } from '@m2m-auth/server/errors';
import { parseManifest } from '@m2m-auth/server/provision';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

type Field = 'name' | 'scope' | 'audience' | 'tokenTtlSec' | 'tokenFormat';

/** [field, value, accepted, why]; the store's refusal code follows from the field. */
const CASES: readonly [Field, string | number, boolean, string][] = [
  ['name', 'ms_admin', true, 'letters and an underscore'],
  ['name', '9lives', true, 'a leading digit (the store always allowed it)'],
  ['name', 'a.b-c_d', true, 'dots, dashes and underscores'],
  ['name', 'x'.repeat(64), true, '64 characters'],
  ['name', 'x'.repeat(65), false, '65 characters'],
  ['name', '_hidden', false, 'a leading underscore'],
  ['name', '.env', false, 'a leading dot'],
  ['name', '../evil', false, 'a path'],
  ['name', 'a b', false, 'a space'],
  ['name', '', false, 'empty'],
  ['name', '123e4567-e89b-12d3-a456-426614174000', false, 'shaped like a client_id'],
  ['scope', 'doctors:read', true, 'a scope-token'],
  ['scope', 'x'.repeat(128), true, '128 characters'],
  ['scope', 'x'.repeat(129), false, '129 characters'],
  ['scope', '*', false, 'the reserved wildcard'],
  ['scope', 'a b', false, 'a space'],
  ['scope', 'say"hi', false, 'a double quote (RFC 6749 §3.3)'],
  ['scope', 'back\\slash', false, 'a backslash (RFC 6749 §3.3)'],
  ['scope', 'é', false, 'non-ASCII'],
  ['audience', 'ms_doctor', true, 'a service name'],
  ['audience', 'https://api.example/v1', true, 'an RFC 8707 resource URI'],
  ['audience', 'a,b', false, 'a comma'],
  ['audience', 'a b', false, 'a space'],
  ['audience', 'x'.repeat(256), false, '256 characters'],
  ['tokenTtlSec', 1, true, 'one second'],
  ['tokenTtlSec', 86_400, true, 'one day'],
  ['tokenTtlSec', 86_401, false, 'over a day'],
  ['tokenTtlSec', 0, false, 'zero'],
  ['tokenTtlSec', 1.5, false, 'not whole seconds'],
  ['tokenFormat', 'rfc9068', true, 'RFC 9068'],
  ['tokenFormat', 'passport', true, 'Laravel Passport'],
  ['tokenFormat', 'jwt', false, 'an unknown format'],
];

const STORE_CODE: Record<Field, string> = {
  name: 'ERR_INVALID_CLIENT_NAME',
  scope: 'ERR_INVALID_SCOPE',
  audience: 'ERR_INVALID_AUDIENCE',
  tokenTtlSec: 'ERR_INVALID_DURATION',
  tokenFormat: 'ERR_INVALID_TOKEN_FORMAT',
};

let database: TestDatabase;
let store: Store;
let created = 0;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** The store's answer: undefined when it accepts the value, else the code of its refusal. */
async function storeVerdict(field: Field, value: string | number): Promise<string | undefined> {
  const name = field === 'name' ? String(value) : `client-${++created}`;
  try {
    await store.clients.create({
      name,
      scopes: field === 'scope' ? [String(value)] : ['x'],
      audiences: field === 'audience' ? [String(value)] : ['svc'],
      ...(field === 'tokenTtlSec' ? { tokenTtlSec: Number(value) } : {}),
    });
    // A client is created with the rfc9068 format; the format is changed by an update.
    if (field === 'tokenFormat')
      await store.clients.update(name, { tokenFormat: value as 'rfc9068' });
    return undefined;
  } catch (err) {
    if (err instanceof M2mAuthError) return err.code;
    throw err;
  }
}

/** The manifest's answer: undefined when it accepts the value, else the problem at the field. */
function manifestVerdict(field: Field, value: string | number): string | undefined {
  // A manifest's service names are both client names and the callers' audiences.
  const service = field === 'name' || field === 'audience' ? String(value) : 'svc';
  const manifest = {
    auth_url: 'http://127.0.0.1:8080',
    services: {
      [service]: {
        scopes: [field === 'scope' ? String(value) : 'x'],
        ...(field === 'tokenTtlSec' ? { token_ttl_sec: value } : {}),
      },
    },
  };
  try {
    parseManifest(JSON.stringify(manifest), 'm.json');
    return undefined;
  } catch (err) {
    if (err instanceof M2mAuthError) return err.code;
    throw err;
  }
}

describe('one rule set for client fields', () => {
  it.each(CASES)('the store judges %s %j (%s) as the table says', async (field, value, ok) => {
    expect(await storeVerdict(field, value)).toBe(ok ? undefined : STORE_CODE[field]);
  });

  // The manifest has no token format, and its audiences are service names: an audience that is
  // a valid audience but not a valid name (a URI) is not a manifest case.
  const manifestCases = CASES.filter(
    ([field, value]) =>
      field !== 'tokenFormat' && !(field === 'audience' && String(value).includes('/')),
  );
  it.each(manifestCases)('the manifest judges %s %j (%s) as the store does', (field, value) => {
    const storeOk = CASES.find(([f, v]) => f === field && v === value)?.[2];
    const refusal = manifestVerdict(field, value);
    // An audience refused by the store is refused by the manifest as a service name.
    expect(refusal).toBe(storeOk ? undefined : 'ERR_MANIFEST_INVALID');
  });
});
