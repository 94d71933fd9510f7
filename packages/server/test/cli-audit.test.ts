/**
 * `m2m-auth audit tail` end to end: the compiled CLI as a subprocess over a SQLite database whose
 * audit table holds known events.
 */
import { openStore } from '@m2m-auth/server';
import type { AuditEvent } from '@m2m-auth/server/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from './helpers/run-cli.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let env: Record<string, string>;
let adminId: string;
let otherId: string;
const now = Date.now();

function event(overrides: Partial<AuditEvent>): AuditEvent {
  return {
    timeMs: now,
    outcome: 'issued',
    clientId: null,
    audience: 'ms_doctor',
    scopes: ['doctors:read'],
    jti: null,
    sourceAddress: '10.0.0.1',
    reason: null,
    detail: null,
    status: 200,
    ...overrides,
  };
}

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  env = { DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
  const store = await openStore({ databaseUrl: database.url, kek: env['M2M_AUTH_KEK'] });
  try {
    adminId = (await store.clients.create({ name: 'ms_admin', audiences: ['ms_doctor'] })).client
      .clientId;
    otherId = (await store.clients.create({ name: 'ms_other', audiences: ['ms_doctor'] })).client
      .clientId;
    await store.audit.append([
      event({ timeMs: now - 3_600_000, clientId: adminId, jti: 'jti-an-hour-ago' }),
      event({ timeMs: now - 60_000, clientId: adminId, jti: 'jti-a-minute-ago' }),
      event({
        timeMs: now - 30_000,
        outcome: 'refused',
        clientId: otherId,
        scopes: null,
        reason: 'ERR_CLIENT_AUTH_FAILED',
        detail: 'secret mismatch',
        status: 401,
      }),
    ]);
  } finally {
    await store.close();
  }
});
afterAll(async () => {
  await database?.drop();
});

function cli(...args: string[]) {
  return runCliProcess(args, { cwd: database.dir ?? '.', env });
}

describe('m2m-auth audit tail', { timeout: 60_000 }, () => {
  it('shows recent events oldest first, with client names, jti or reason, and source address', async () => {
    const { code, stdout } = await cli('audit', 'tail');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^TIME\s+OUTCOME\s+CLIENT\s+AUDIENCE\s+SCOPES\s+JTI \/ REASON\s+SOURCE$/,
    );
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(
      /issued\s+ms_admin\s+ms_doctor\s+doctors:read\s+jti-an-hour-ago\s+10\.0\.0\.1/,
    );
    expect(lines[2]).toContain('jti-a-minute-ago');
    expect(lines[3]).toMatch(
      /refused\s+ms_other\s+ms_doctor\s+-\s+401 ERR_CLIENT_AUTH_FAILED \(secret mismatch\)/,
    );
  });

  it('filters by client name or client_id and by age', async () => {
    const byName = await cli('audit', 'tail', '--client', 'ms_admin', '--since', '10m');
    expect(byName.code).toBe(0);
    expect(byName.stdout).toContain('jti-a-minute-ago');
    expect(byName.stdout).not.toContain('jti-an-hour-ago');
    expect(byName.stdout).not.toContain('ms_other');
    const byId = await cli('audit', 'tail', '--client', otherId);
    expect(byId.stdout.trim().split('\n')).toHaveLength(2);
    expect(byId.stdout).toContain('ERR_CLIENT_AUTH_FAILED');
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await cli('audit', 'tail', '--since', '2h', '--limit', '2', '--json');
    expect(code).toBe(0);
    const events = JSON.parse(stdout) as Record<string, unknown>[];
    expect(events.map((e) => e['jti'] ?? e['reason'])).toEqual([
      'jti-a-minute-ago',
      'ERR_CLIENT_AUTH_FAILED',
    ]);
    expect(events[0]).toEqual({
      time: new Date(now - 60_000).toISOString(),
      outcome: 'issued',
      client_id: adminId,
      client_name: 'ms_admin',
      audience: 'ms_doctor',
      scopes: ['doctors:read'],
      jti: 'jti-a-minute-ago',
      source_address: '10.0.0.1',
      reason: null,
      detail: null,
      status: 200,
    });
  });

  it('says how to get events when there are none', async () => {
    const { code, stdout } = await cli('audit', 'tail', '--client', 'nobody');
    expect(code).toBe(0);
    expect(stdout).toMatch(/No audit events.*serve --audit-store/);
  });

  it('refuses a malformed duration or limit with one line and exit code 1', async () => {
    for (const args of [
      ['--since', 'ten minutes'],
      ['--since', '10y'],
      ['--limit', '0'],
    ]) {
      const { code, stderr } = await cli('audit', 'tail', ...args);
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^m2m-auth: error: /);
    }
  });

  it('documents its options and examples in --help', async () => {
    const { stdout } = await cli('audit', 'tail', '--help');
    for (const option of ['--client', '--since', '--limit', '--json', '--database']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toMatch(/Examples:\n\s+\$ m2m-auth audit tail/);
  });
});
