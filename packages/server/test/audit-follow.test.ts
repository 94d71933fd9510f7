/**
 * `m2m-auth audit tail --follow`: the follower over a real SQLite audit table, and the compiled CLI
 * as a subprocess that prints events appended while it runs and stops cleanly on SIGINT.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openStore, type Store } from '@m2m-auth/server';
import { type AuditEvent, AuditFollower, FOLLOW_LOOKBACK_MS } from '@m2m-auth/server/audit';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLI_BIN } from './helpers/run-cli.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const T0 = 1_800_000_000_000;

function event(timeMs: number, jti: string, clientId: string | null = 'c1'): AuditEvent {
  return {
    timeMs,
    outcome: 'issued',
    clientId,
    audience: 'ms_doctor',
    scopes: ['doctors:read'],
    jti,
    sourceAddress: '127.0.0.1',
    reason: null,
    detail: null,
    status: 200,
  };
}

describe('AuditFollower', () => {
  let database: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  });
  afterEach(async () => {
    await store?.close();
    await database?.drop();
  });

  const jtis = (events: readonly AuditEvent[]) => events.map((e) => e.jti);

  it('shows each new event once, oldest first, including one stored late within the look-back', async () => {
    await store.audit.append([event(T0 - 5_000, 'old-1'), event(T0 - 1_000, 'old-2')]);
    const shown = await store.audit.list({ limit: 50 });
    const follower = new AuditFollower(store.audit, { startMs: T0, shown, limited: false });
    expect((await follower.poll()).events).toEqual([]);

    await store.audit.append([event(T0 + 2_000, 'new-2'), event(T0 + 1_000, 'new-1')]);
    expect(jtis((await follower.poll()).events)).toEqual(['new-1', 'new-2']);
    expect((await follower.poll()).events).toEqual([]);

    // Another instance's batch arrives after a newer event was seen: still shown, once.
    await store.audit.append([event(T0 + 1_500, 'late-within')]);
    expect(jtis((await follower.poll()).events)).toEqual(['late-within']);
    // One stored further behind than the look-back is not (documented in --help).
    await store.audit.append([event(T0 + 2_000 - FOLLOW_LOOKBACK_MS - 1, 'too-late')]);
    expect((await follower.poll()).events).toEqual([]);
  });

  it('starts after the newest listed event when the listing was cut by its limit', async () => {
    await store.audit.append([
      event(T0 - 3_000, 'a'),
      event(T0 - 2_000, 'b'),
      event(T0 - 1_000, 'c'),
    ]);
    const shown = await store.audit.list({ limit: 1 });
    expect(jtis(shown)).toEqual(['c']);
    const follower = new AuditFollower(store.audit, { startMs: T0, shown, limited: true });
    // a and b were left out by --limit: not dumped by the first check.
    expect((await follower.poll()).events).toEqual([]);
    await store.audit.append([event(T0 + 10, 'd')]);
    expect(jtis((await follower.poll()).events)).toEqual(['d']);
  });

  it('keeps to one client, and forgets identifiers that left the window', async () => {
    const follower = new AuditFollower(store.audit, {
      clientId: 'c1',
      startMs: T0,
      shown: [],
      limited: false,
    });
    await store.audit.append([event(T0 + 1, 'mine'), event(T0 + 2, 'other', 'c2')]);
    expect(jtis((await follower.poll()).events)).toEqual(['mine']);
    for (let i = 1; i <= 5; i++) {
      await store.audit.append([event(T0 + i * FOLLOW_LOOKBACK_MS, `later-${i}`)]);
      expect(jtis((await follower.poll()).events)).toEqual([`later-${i}`]);
    }
  });
});

describe('m2m-auth audit tail --follow', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await database?.drop();
  });

  /** `m2m-auth audit tail --follow <args>` as a subprocess on the test database, output captured. */
  function startFollow(kek: string, args: readonly string[]) {
    const child = spawn(process.execPath, [CLI_BIN, 'audit', 'tail', '--follow', ...args], {
      cwd: database.dir ?? '.',
      env: { ...process.env, DATABASE_URL: database.url, M2M_AUTH_KEK: kek },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    return { child, stdout: () => stdout, stderr: () => stderr };
  }

  it('reports a failing audit table once, keeps checking, and prints what was stored meanwhile', async () => {
    const kek = randomKek();
    const store = await openStore({ databaseUrl: database.url, kek });
    const follow = startFollow(kek, ['--interval', '0.1', '--json']);
    const { child } = follow;
    const raw = new Database(database.file as string);
    try {
      await store.audit.append([event(Date.now(), 'first')]);
      await vi.waitFor(() => expect(follow.stdout()).toContain('"first"'), { timeout: 15_000 });
      // A real read failure of the same database: the audit table is gone for a while.
      raw.exec('alter table m2m_audit_events rename to m2m_audit_events_away');
      await vi.waitFor(() => expect(follow.stderr()).toContain('cannot read the audit table'), {
        timeout: 15_000,
      });
      raw
        .prepare(
          `insert into m2m_audit_events_away (event_id, time_ms, outcome, client_id, audience, scopes, jti, source_address, reason, detail, status)
           values ('while-away-id', ?, 'issued', 'c1', 'ms_doctor', '["doctors:read"]', 'while-away', '127.0.0.1', null, null, 200)`,
        )
        .run(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 500));
      raw.exec('alter table m2m_audit_events_away rename to m2m_audit_events');
      await vi.waitFor(() => expect(follow.stdout()).toContain('"while-away"'), {
        timeout: 15_000,
      });
      expect(follow.stderr().match(/cannot read the audit table/g)).toHaveLength(1);
      expect(follow.stderr()).toContain('the audit table answers again');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(
        follow
          .stdout()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line).jti),
      ).toEqual(['first', 'while-away']);
    } finally {
      raw.close();
      child.kill('SIGKILL');
      await store.close();
    }
  });

  it.each([
    ['--json', true],
    ['text', false],
  ])('prints events stored while it runs (%s) and exits 0 on SIGINT', async (_label, json) => {
    const kek = randomKek();
    const store = await openStore({ databaseUrl: database.url, kek });
    const { client } = await store.clients.create({ name: 'ms_admin', audiences: ['ms_doctor'] });
    await store.audit.append([event(Date.now() - 60_000, 'before-start', client.clientId)]);
    const follow = startFollow(kek, ['--interval', '0.2', ...(json ? ['--json'] : [])]);
    const { child } = follow;
    try {
      await vi.waitFor(() => expect(follow.stdout()).toContain('before-start'), {
        timeout: 15_000,
      });
      await store.audit.append([event(Date.now(), 'while-following', client.clientId)]);
      await vi.waitFor(() => expect(follow.stdout()).toContain('while-following'), {
        timeout: 15_000,
      });
      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      expect({ code, stderr: follow.stderr() }).toEqual({ code: 0, stderr: '' });
      const lines = follow.stdout().trim().split('\n');
      if (json) {
        // JSON Lines: one object per event, with the client's name.
        const events = lines.map((line) => JSON.parse(line));
        expect(events.map((e) => e.jti)).toEqual(['before-start', 'while-following']);
        expect(events[1]).toMatchObject({ client_name: 'ms_admin', outcome: 'issued' });
      } else {
        expect(lines[0]).toMatch(
          /^TIME\s+OUTCOME\s+CLIENT\s+AUDIENCE\s+SCOPES\s+JTI \/ REASON\s+SOURCE$/,
        );
        expect(lines).toHaveLength(3);
        expect(lines[2]).toMatch(/issued\s+ms_admin\s+ms_doctor\s+doctors:read\s+while-following/);
        // Columns line up with the header.
        expect(lines[2]?.indexOf('issued')).toBe(lines[0]?.indexOf('OUTCOME'));
      }
    } finally {
      child.kill('SIGKILL');
      await store.close();
    }
  });
});
