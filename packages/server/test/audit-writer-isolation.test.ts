/**
 * The audit table writer stores what it can: text is sanitized (PostgreSQL refuses NUL in text),
 * and an event the database still refuses is dropped, counted and logged on its own, without
 * holding up the events around it or those that come later. Driven directly, on the real stores:
 * the token endpoint refuses control characters before they reach an audit event at all.
 */

import { openStore, type Store } from '@m2m-auth/server';
import { type AuditEvent, AuditWriter } from '@m2m-auth/server/audit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
  type TestDialect,
} from './helpers/test-database.js';

let database: TestDatabase | undefined;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  await database?.drop();
  database = undefined;
});

async function open(dialect: TestDialect): Promise<Store> {
  database = await createTestDatabase(dialect);
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  return store;
}

interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function collectingLogger(): {
  entries: LogEntry[];
  logger: ConstructorParameters<typeof AuditWriter>[2];
} {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (obj: object, msg: string): void => {
      entries.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { entries, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

function event(n: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    timeMs: 1_800_000_000_000 + n,
    outcome: 'refused',
    clientId: null,
    audience: `aud-${n}`,
    scopes: null,
    jti: null,
    sourceAddress: '10.0.0.1',
    reason: 'ERR_CLIENT_AUTH_FAILED',
    detail: null,
    status: 401,
    ...overrides,
  };
}

describe.each(TEST_DIALECTS)('audit writer on %s', (dialect) => {
  it.skipIf(dialectUnavailable(dialect))(
    'stores control characters and unpaired surrogates as \\u escapes, and keeps writing',
    async () => {
      const opened = await open(dialect);
      const { entries, logger } = collectingLogger();
      const writer = new AuditWriter(opened.audit, {}, logger);
      writer.append(
        event(1, {
          clientId: 'sha256:0011\u0000',
          audience: 'x\u0000',
          scopes: ['a\u0000b', 'ok'],
          detail: 'audience x\u001b[2J\ud800',
          sourceAddress: '10.0.0.1\n',
        }),
      );
      await writer.flush();
      writer.append(event(2));
      await writer.close();
      const stored = await opened.audit.list();
      expect(stored.map((e) => e.audience)).toEqual(['x\\u0000', 'aud-2']);
      expect(stored[0]).toMatchObject({
        clientId: 'sha256:0011\\u0000',
        scopes: ['a\\u0000b', 'ok'],
        detail: 'audience x\\u001b[2J\\ud800',
        sourceAddress: '10.0.0.1\\u000a',
      });
      expect(writer.refusedEvents).toBe(0);
      expect(entries.filter((e) => e.level !== 'info')).toEqual([]);
    },
  );
});

describe('audit writer on postgres, an event the database refuses', () => {
  it.skipIf(dialectUnavailable('postgres'))(
    'is dropped, counted and logged alone; the events of its batch and later ones are stored',
    async () => {
      const opened = await open('postgres');
      const { entries, logger } = collectingLogger();
      const writer = new AuditWriter(opened.audit, {}, logger);
      // Values no sanitizing can fix: PostgreSQL refuses 1.5 in an integer column (22P02) and
      // 2^70 in a bigint one (22003).
      writer.append(event(1));
      writer.append(event(2, { status: 1.5 }));
      writer.append(event(3));
      writer.append(event(4, { timeMs: 1e19 }));
      writer.append(event(5));
      await writer.flush();
      expect((await opened.audit.list()).map((e) => e.audience)).toEqual([
        'aud-1',
        'aud-3',
        'aud-5',
      ]);
      expect(writer.refusedEvents).toBe(2);
      const refused = entries.filter((e) => e.level === 'warn');
      expect(refused.map((e) => e.obj['code'])).toEqual(['22P02', '22003']);
      expect(refused.map((e) => e.obj['refusedTotal'])).toEqual([1, 2]);
      expect(entries.filter((e) => e.level === 'error')).toEqual([]);

      // Nothing was put back: the next flush writes only what came since.
      writer.append(event(6));
      await writer.flush();
      expect((await opened.audit.list()).map((e) => e.audience)).toEqual([
        'aud-1',
        'aud-3',
        'aud-5',
        'aud-6',
      ]);
      await writer.close();
    },
  );

  it.skipIf(dialectUnavailable('postgres'))(
    'in a batch of more than one insert statement, is isolated without writing any event twice',
    async () => {
      const opened = await open('postgres');
      const { logger } = collectingLogger();
      const writer = new AuditWriter(opened.audit, { maxQueuedEvents: 2000 }, logger);
      for (let n = 0; n < 1200; n += 1) writer.append(event(n, n === 900 ? { status: 0.5 } : {}));
      await writer.close();
      const stored = await opened.audit.list({ limit: 10_000 });
      expect(stored).toHaveLength(1199);
      expect(new Set(stored.map((e) => e.audience)).size).toBe(1199);
      expect(stored.some((e) => e.audience === 'aud-900')).toBe(false);
      expect(writer.refusedEvents).toBe(1);
    },
  );
});
