/**
 * `m2m-auth serve --rotate-every`: two real server processes (the compiled CLI) on one database
 * rotate the signing key on a short schedule, and each lifecycle step — next key published,
 * activated (the old key retired), retired key removed — is performed by exactly one of them.
 * Evidence: the keys in the store, and the JSON log lines of both processes.
 */
import type { ChildProcess } from 'node:child_process';
import { openStore, type Store } from '@m2m-auth/server';
import type { SigningKeyRecord } from '@m2m-auth/server/keys';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/async.js';
import { type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

/** Rotation interval and propagation delay of the test servers, seconds: a rotation every ~4 s. */
const ROTATE_EVERY_SEC = 3;
const PROPAGATION_SEC = 1;
/** Rotations to watch before the removal step. */
const ROTATIONS = 2;
/** Upper bound of the whole scenario, milliseconds (startup of two processes included). */
const DEADLINE_MS = 40_000;

let children: ChildProcess[] = [];
let database: TestDatabase | undefined;
let store: Store | undefined;

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children = [];
  await store?.close();
  store = undefined;
  await database?.drop();
  database = undefined;
});

/** Starts `m2m-auth serve` with scheduled rotation; resolves once it listens. */
async function serve(env: NodeJS.ProcessEnv, cwd: string): Promise<ServeProcess> {
  const served = await startServeProcess(
    [
      '--rotate-every',
      `${ROTATE_EVERY_SEC}s`,
      '--propagation',
      String(PROPAGATION_SEC),
      '--jwks-max-age',
      '1',
    ],
    { env, cwd, startTimeoutMs: 20_000 },
  );
  children.push(served.child);
  return served;
}

/**
 * Moves the removal time of every retired key to now, as if their 17 minutes (longest token
 * lifetime + tolerance) had passed: the servers run on the real clock, and the removal step is the
 * one under test, not the length of the wait.
 */
async function expireRetiredKeys(db: TestDatabase, nowSec: number): Promise<void> {
  if (db.dialect === 'sqlite') {
    const sqlite = new Database(db.file ?? '');
    try {
      sqlite.pragma('busy_timeout = 5000');
      sqlite
        .prepare("update m2m_signing_keys set remove_at = ? where state = 'retired'")
        .run(nowSec);
    } finally {
      sqlite.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("update m2m_signing_keys set remove_at = $1 where state = 'retired'", [
      nowSec,
    ]);
  } finally {
    await client.end();
  }
}

/** The lifecycle steps a server process reports in its JSON log lines. */
interface Steps {
  created: string[];
  activated: string[];
  retired: string[];
  removed: string[];
}

function stepsIn(stdout: string): Steps {
  const steps: Steps = { created: [], activated: [], retired: [], removed: [] };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as {
      msg?: string;
      kid?: string;
      retired?: string[];
      removed?: string[];
      activated?: string[];
    };
    switch (entry.msg) {
      case 'scheduled key rotation: next signing key published':
        steps.created.push(entry.kid ?? '');
        break;
      case 'scheduled key rotation: signing key activated':
        steps.activated.push(entry.kid ?? '');
        steps.retired.push(...(entry.retired ?? []));
        break;
      case 'scheduled key rotation: retired signing keys removed from the JWKS':
        steps.removed.push(...(entry.removed ?? []));
        break;
      // The same steps, applied by a server's key cache when a request finds one due.
      case 'signing key lifecycle advanced':
        steps.activated.push(...(entry.activated ?? []));
        steps.retired.push(...(entry.retired ?? []));
        steps.removed.push(...(entry.removed ?? []));
        break;
    }
  }
  return steps;
}

function duplicates(values: readonly string[]): string[] {
  return values.filter((value, i) => values.indexOf(value) !== i);
}

describe.each(TEST_DIALECTS)('m2m-auth serve --rotate-every on %s', (dialect) => {
  it.skipIf(dialectUnavailable(dialect))(
    'performs each rotation step exactly once with two server processes on one database',
    { timeout: 60_000 },
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      database = await createTestDatabase(dialect);
      const kek = randomKek();
      store = await openStore({ databaseUrl: database.url, kek });
      // An ES256 key: rotations keep the active key's algorithm, and EC keys generate at once.
      const first = await store.keys.generate('ES256');
      const opened = store;

      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: database.url,
        M2M_AUTH_KEK: kek,
      };
      delete env['M2M_AUTH_DEBUG'];
      const cwd = database.dir ?? process.cwd();
      const servers = await Promise.all([serve(env, cwd), serve(env, cwd)]);
      // Rotating every 3 s keeps many retired keys published: serve says so at start.
      for (const server of servers) {
        expect(server.stderr()).toMatch(
          /warning: --rotate-every 3 s is shorter than the 1020 s or more a retired key stays published: the JWKS will hold about 342 keys/,
        );
      }

      const list = () => opened.keys.list();
      const activatedSince = (keys: SigningKeyRecord[]) =>
        keys.filter((key) => key.kid !== first.kid && key.activatedAt !== null);
      await until(
        `${ROTATIONS} rotations are done`,
        async () => activatedSince(await list()).length >= ROTATIONS,
        { limitMs: deadline - Date.now() },
      );

      const retired = (await list()).filter((key) => key.state === 'retired').map((k) => k.kid);
      expect(retired).toContain(first.kid);
      await expireRetiredKeys(database, Math.floor(Date.now() / 1000));
      await until(
        'the retired keys are removed',
        async () => {
          const kids = new Set((await list()).map((key) => key.kid));
          return retired.every((kid) => !kids.has(kid));
        },
        { limitMs: deadline - Date.now() },
      );

      for (const server of servers) server.child.kill('SIGTERM');
      expect(await Promise.all(servers.map((server) => server.exited))).toEqual([0, 0]);

      const perServer = servers.map((server) => stepsIn(server.stdout()));
      const all: Steps = {
        created: perServer.flatMap((steps) => steps.created),
        activated: perServer.flatMap((steps) => steps.activated),
        retired: perServer.flatMap((steps) => steps.retired),
        removed: perServer.flatMap((steps) => steps.removed),
      };
      // Exactly once: no kid appears twice in any step, across both processes.
      expect(duplicates(all.created)).toEqual([]);
      expect(duplicates(all.activated)).toEqual([]);
      expect(duplicates(all.retired)).toEqual([]);
      expect(duplicates(all.removed)).toEqual([]);

      // And every step the store shows was reported by one of them.
      const keys = await list();
      const everCreated = [...keys.map((key) => key.kid), ...retired].filter(
        (kid, i, kids) => kid !== first.kid && kids.indexOf(kid) === i,
      );
      expect(all.created.sort()).toEqual(everCreated.sort());
      const everActivated = [
        ...keys.filter((key) => key.activatedAt !== null).map((key) => key.kid),
        ...retired,
      ].filter((kid, i, kids) => kid !== first.kid && kids.indexOf(kid) === i);
      expect(all.activated.sort()).toEqual(everActivated.sort());
      expect(all.removed.sort()).toEqual([...retired].sort());
      expect(all.activated.length).toBeGreaterThanOrEqual(ROTATIONS);

      // One active key at the end, at most one waiting, nothing revoked.
      expect(keys.filter((key) => key.state === 'active')).toHaveLength(1);
      expect(keys.filter((key) => key.state === 'next').length).toBeLessThanOrEqual(1);
      expect(keys.filter((key) => key.state === 'revoked')).toEqual([]);
      for (const server of servers) {
        expect(server.stdout()).toContain('"msg":"scheduled key rotation on"');
        expect(server.stdout()).not.toContain('"level":50');
      }
    },
  );
});
