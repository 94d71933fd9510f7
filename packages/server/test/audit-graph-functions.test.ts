/**
 * The pure parts of `audit graph` and `audit unused` (what a console would serve), and the SQL
 * aggregation's bound: many events make few groups, and more than `MAX_USAGE_GROUPS` distinct
 * groups are cut and said to be.
 */
import { openStore } from '@m2m-auth/server';
import {
  type AuditEvent,
  type AuditUsage,
  buildServiceGraph,
  findUnusedGrants,
  formatServiceGraphDot,
  formatServiceGraphMermaid,
  MAX_USAGE_GROUPS,
} from '@m2m-auth/server/audit';
import type { ClientRecord } from '@m2m-auth/server/clients';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, randomKek } from './helpers/test-database.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

function client(overrides: Partial<ClientRecord>): ClientRecord {
  return {
    clientId: 'id-a',
    name: 'ms_a',
    scopes: [],
    audiences: [],
    tokenTtlSec: 900,
    createdAt: (NOW - 100 * DAY_MS) / 1000,
    updatedAt: (NOW - 100 * DAY_MS) / 1000,
    revokedAt: null,
    tokenFormat: 'rfc9068',
    ...overrides,
  };
}

function usage(overrides: Partial<AuditUsage>): AuditUsage {
  return {
    sinceMs: NOW - 30 * DAY_MS,
    untilMs: NOW,
    firstEventMs: NOW - 60 * DAY_MS,
    issued: [],
    refused: [],
    totals: { issued: 0, refused: 0 },
    truncated: { issued: false, refused: false },
    ...overrides,
  };
}

describe('buildServiceGraph and its formats', () => {
  it('quotes any audience string safely in Mermaid and DOT', () => {
    const graph = buildServiceGraph(
      usage({
        issued: [
          {
            clientId: 'id-a',
            audience: 'https://x.example/"a"|<b>#\\',
            scopes: ['s'],
            count: 1,
            lastMs: NOW,
          },
        ],
      }),
      [client({})],
    );
    expect(formatServiceGraphMermaid(graph)).toBe(
      [
        'flowchart LR',
        '  n0["https://x.example/#quot;a#quot;#124;#lt;b#gt;#35;\\"]',
        '  n1["ms_a"]',
        '  n1 -->|"1 token<br/>s"| n0',
        '',
      ].join('\n'),
    );
    expect(formatServiceGraphDot(graph)).toContain(
      '"ms_a" -> "https://x.example/\\"a\\"|<b>#\\\\" [label="1 token\\ns"];',
    );
  });

  it('keeps refusals of unknown client_ids on their own node and digests unattributed', () => {
    const graph = buildServiceGraph(
      usage({
        refused: [
          {
            clientId: 'gone',
            audience: 'ms_b',
            reason: 'ERR_CLIENT_AUTH_FAILED',
            count: 3,
            lastMs: NOW,
          },
          {
            clientId: 'sha256:abcd',
            audience: null,
            reason: 'ERR_CLIENT_AUTH_FAILED',
            count: 2,
            lastMs: NOW,
          },
          {
            clientId: null,
            audience: 'ms_b',
            reason: 'ERR_CLIENT_AUTH_MISSING',
            count: 1,
            lastMs: NOW,
          },
        ],
      }),
      [client({ revokedAt: 1 })],
    );
    expect(graph.nodes.map((n) => [n.id, n.clientId, n.registered, n.refusals])).toEqual([
      ['gone', 'gone', false, 3],
      ['ms_b', null, false, 0],
    ]);
    expect(graph.edges).toMatchObject([{ from: 'gone', to: 'ms_b', tokens: 0, refusals: 3 }]);
    expect(graph.unattributedRefusals).toEqual([
      { reason: 'ERR_CLIENT_AUTH_FAILED', count: 2 },
      { reason: 'ERR_CLIENT_AUTH_MISSING', count: 1 },
    ]);
    expect(formatServiceGraphMermaid(graph)).toContain('n0["gone<br/>(unregistered client_id)"]');
  });
});

describe('findUnusedGrants', () => {
  it('counts a scope used by any token, skips revoked clients, and quotes odd scopes in the command', () => {
    const report = findUnusedGrants(
      usage({
        issued: [
          { clientId: 'id-a', audience: 'ms_b', scopes: ['read'], count: 5, lastMs: NOW },
          { clientId: 'id-a', audience: 'ms_c', scopes: ['read', "it's"], count: 1, lastMs: NOW },
        ],
      }),
      [
        client({ audiences: ['ms_b', 'ms_c', 'ms_d'], scopes: ['read', "it's", 'write'] }),
        client({ clientId: 'id-r', name: 'ms_r', audiences: ['ms_b'], revokedAt: 5 }),
        client({ clientId: 'id-n', name: 'ms_n', createdAt: (NOW - DAY_MS) / 1000 }),
      ],
    );
    expect(report.coversPeriod).toBe(true);
    expect(report.unusedCount).toBe(3);
    expect(
      report.clients.map((c) => [c.name, c.unusedAudiences, c.unusedScopes, c.command]),
    ).toEqual([
      [
        'ms_a',
        ['ms_d'],
        ['write'],
        "m2m-auth client update ms_a --audiences ms_b,ms_c --scopes 'read,it'\\''s'",
      ],
      ['ms_n', [], [], 'm2m-auth client revoke ms_n'],
    ]);
    expect(report.clients[1]).toMatchObject({ idle: true, youngerThanPeriod: true });
  });
});

describe('AuditStore.usage on SQLite', () => {
  it('aggregates in SQL: many events, few groups; beyond MAX_USAGE_GROUPS the rest is cut and said', {
    timeout: 120_000,
  }, async () => {
    const database = await createTestDatabase('sqlite');
    const store = await openStore({ databaseUrl: database.url, kek: randomKek() });
    try {
      const event = (i: number, overrides: Partial<AuditEvent> = {}): AuditEvent => ({
        timeMs: NOW - 1000 + (i % 1000),
        outcome: 'issued',
        clientId: 'id-a',
        audience: i % 2 === 0 ? 'ms_b' : 'ms_c',
        scopes: ['read'],
        jti: `jti-${i}`,
        sourceAddress: null,
        reason: null,
        detail: null,
        status: 200,
        ...overrides,
      });
      await store.audit.append(Array.from({ length: 20_000 }, (_, i) => event(i)));
      const few = await store.audit.usage({ sinceMs: NOW - DAY_MS, untilMs: NOW + 1 });
      expect(few.issued.map((g) => [g.audience, g.count])).toEqual([
        ['ms_b', 10_000],
        ['ms_c', 10_000],
      ]);
      expect(few.totals).toEqual({ issued: 20_000, refused: 0 });

      // Refusals with attacker-chosen client_ids: one group each, cut at the bound.
      await store.audit.append(
        Array.from({ length: MAX_USAGE_GROUPS + 5 }, (_, i) =>
          event(i, {
            outcome: 'refused',
            clientId: `made-up-${i}`,
            jti: null,
            reason: 'ERR_CLIENT_AUTH_FAILED',
            status: 401,
          }),
        ),
      );
      const cut = await store.audit.usage({ sinceMs: NOW - DAY_MS, untilMs: NOW + 1 });
      expect(cut.refused).toHaveLength(MAX_USAGE_GROUPS);
      expect(cut.truncated).toEqual({ issued: false, refused: true });
      expect(cut.totals.refused).toBe(MAX_USAGE_GROUPS + 5);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
