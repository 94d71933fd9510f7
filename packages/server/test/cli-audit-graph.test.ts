/**
 * `m2m-auth audit graph` and `m2m-auth audit unused` end to end on SQLite and PostgreSQL: a real
 * `serve --audit-store` answers real token requests (issued and refused), then the compiled CLI
 * reads the aggregated audit table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from './helpers/auth-server.js';
import { runCliProcess } from './helpers/run-cli.js';
import { runCliJson, startServeProcess } from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

interface Credentials {
  clientId: string;
  clientSecret: string;
}

/** POST /oauth/token with client_secret_basic (when credentials are given) and any parameters. */
async function tokenRequest(
  url: string,
  credentials: Credentials | undefined,
  params: Record<string, string>,
): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (credentials)
    headers['authorization'] = basicAuth(credentials.clientId, credentials.clientSecret);
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

describe.each(TEST_DIALECTS)('audit graph and audit unused on %s', (dialect) => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let admin: Credentials;
  let idle: Credentials;
  const cli = (...args: string[]) => runCliProcess(args, { cwd: database.dir ?? '.', env });

  beforeAll(async () => {
    if (dialectUnavailable(dialect)) return;
    database = await createTestDatabase(dialect);
    env = { DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
    const options = { env: { ...process.env, ...env }, cwd: database.dir ?? '.' };
    const create = async (name: string, audiences: string, scopes: string) => {
      const created = await runCliJson<{ client_id: string; client_secret: string }>(
        ['client', 'create', name, '--audiences', audiences, '--scopes', scopes],
        options,
      );
      return { clientId: created.client_id, clientSecret: created.client_secret };
    };
    admin = await create(
      'ms_admin',
      'ms_doctor,ms_lab',
      'doctors:read,doctors:write,lab-results:read',
    );
    idle = await create('ms_idle', 'ms_doctor', 'doctors:read');

    const served = await startServeProcess(['--audit-store'], options);
    try {
      const calls: [Credentials | undefined, Record<string, string>, number][] = [
        [admin, { audience: 'ms_doctor', scope: 'doctors:read' }, 200],
        [admin, { resource: 'ms_doctor', scope: 'doctors:read' }, 200],
        [admin, { audience: 'ms_doctor', scope: 'doctors:write' }, 200],
        // Refusals attributed to the client: a scope and an audience it was not granted.
        [admin, { audience: 'ms_doctor', scope: 'billing:charge' }, 400],
        [admin, { audience: 'ms_billing' }, 400],
        // A failed authentication without an audience, and a request without any client.
        [{ ...idle, clientSecret: 'wrong' }, {}, 401],
        [undefined, { audience: 'ms_doctor' }, 401],
      ];
      for (const [credentials, params, status] of calls) {
        expect(await tokenRequest(served.url, credentials, params), JSON.stringify(params)).toBe(
          status,
        );
      }
    } finally {
      // Stopping flushes the audit writer's buffer to the table.
      await served.stop();
    }
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
  });

  it.skipIf(dialectUnavailable(dialect))(
    'draws exactly the calls made, with scopes, token counts and refusals, as JSON',
    { timeout: 60_000 },
    async () => {
      const { code, stdout, stderr } = await cli('audit', 'graph', '--format', 'json');
      // The table is younger than the 7-day period: said on stderr, never in the document.
      expect(stderr).toMatch(
        /^m2m-auth: warning: the audit table begins at \S+, after the period's start/,
      );
      expect(code).toBe(0);
      const graph = JSON.parse(stdout);
      expect(graph.totals).toEqual({ issued: 3, refused: 4 });
      expect(graph.truncated).toEqual({ issued: false, refused: false });
      expect(graph.edges).toEqual([
        {
          from: 'ms_admin',
          to: 'ms_billing',
          client_id: admin.clientId,
          tokens: 0,
          scopes: [],
          refusals: 1,
          refusal_reasons: [{ reason: 'ERR_AUDIENCE_NOT_ALLOWED', count: 1 }],
          last_issued: null,
          last_refused: expect.any(String),
        },
        {
          from: 'ms_admin',
          to: 'ms_doctor',
          client_id: admin.clientId,
          tokens: 3,
          scopes: [
            { scope: 'doctors:read', tokens: 2 },
            { scope: 'doctors:write', tokens: 1 },
          ],
          refusals: 1,
          refusal_reasons: [{ reason: 'ERR_SCOPE_NOT_ALLOWED', count: 1 }],
          last_issued: expect.any(String),
          last_refused: expect.any(String),
        },
      ]);
      expect(
        graph.nodes.map((n: Record<string, unknown>) => [
          n['id'],
          n['registered'],
          n['tokens_issued'],
          n['tokens_received'],
          n['refusals'],
          n['refusals_without_audience'],
        ]),
      ).toEqual([
        ['ms_admin', true, 3, 0, 2, 0],
        ['ms_billing', false, 0, 0, 0, 0],
        ['ms_doctor', false, 0, 3, 0, 0],
        ['ms_idle', true, 0, 0, 1, 1],
      ]);
      expect(graph.unattributed_refusals).toEqual([
        { reason: 'ERR_CLIENT_AUTH_MISSING', count: 1 },
      ]);
      // --json is the same document.
      const viaJson = await cli('audit', 'graph', '--json');
      expect(JSON.parse(viaJson.stdout).edges).toEqual(graph.edges);
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'prints the same graph as Mermaid (the default) and as DOT',
    { timeout: 60_000 },
    async () => {
      const mermaid = await cli('audit', 'graph', '--since', '1h');
      expect(mermaid.code).toBe(0);
      expect(mermaid.stdout).toBe(
        [
          'flowchart LR',
          '  n0["ms_admin"]',
          '  n1["ms_billing"]',
          '  n2["ms_doctor"]',
          '  n3["ms_idle<br/>1 refused without audience"]',
          '  n0 -.->|"1 refused (ERR_AUDIENCE_NOT_ALLOWED)"| n1',
          '  n0 -->|"3 tokens<br/>doctors:read (2) doctors:write (1)<br/>1 refused (ERR_SCOPE_NOT_ALLOWED)"| n2',
          '  linkStyle 0,1 stroke:#d00,color:#d00',
          '',
        ].join('\n'),
      );
      const dot = await cli('audit', 'graph', '--format', 'dot');
      expect(dot.code).toBe(0);
      expect(dot.stdout).toBe(
        [
          'digraph services {',
          '  rankdir=LR;',
          '  node [shape=box];',
          '  "ms_admin" [label="ms_admin"];',
          '  "ms_billing" [label="ms_billing"];',
          '  "ms_doctor" [label="ms_doctor"];',
          '  "ms_idle" [label="ms_idle\\n1 refused without audience"];',
          '  "ms_admin" -> "ms_billing" [label="1 refused (ERR_AUDIENCE_NOT_ALLOWED)", style=dashed, color=red, fontcolor=red];',
          '  "ms_admin" -> "ms_doctor" [label="3 tokens\\ndoctors:read (2) doctors:write (1)\\n1 refused (ERR_SCOPE_NOT_ALLOWED)", color=red, fontcolor=red];',
          '}',
          '',
        ].join('\n'),
      );
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'lists exactly the unused grants and the idle client, with commands that remove them',
    { timeout: 90_000 },
    async () => {
      const { code, stdout } = await cli('audit', 'unused', '--json');
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(report.unused_count).toBe(4);
      expect(report.covers_period).toBe(false); // the table is younger than 30 days
      expect(report.clients).toEqual([
        {
          client_id: admin.clientId,
          name: 'ms_admin',
          created_at: expect.any(String),
          younger_than_period: true,
          tokens: 3,
          refusals: 2,
          idle: false,
          unused_audiences: ['ms_lab'],
          unused_scopes: ['lab-results:read'],
          command:
            'm2m-auth client update ms_admin --audiences ms_doctor --scopes doctors:read,doctors:write',
          manifest_changes: [
            'services.ms_admin.calls.ms_lab: remove it',
            'services.ms_admin.calls.<the service that declares lab-results:read>: remove lab-results:read from its list',
          ],
        },
        {
          client_id: idle.clientId,
          name: 'ms_idle',
          created_at: expect.any(String),
          younger_than_period: true,
          tokens: 0,
          refusals: 1,
          idle: true,
          unused_audiences: ['ms_doctor'],
          unused_scopes: ['doctors:read'],
          command: 'm2m-auth client revoke ms_idle',
          manifest_changes: [
            'services.ms_idle.calls: remove it (and services.ms_idle itself if it declares no scopes)',
          ],
        },
      ]);

      const text = await cli('audit', 'unused');
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('unused audiences: ms_lab');
      expect(text.stdout).toMatch(/ms_idle \(.+\): no token in the period \(1 refused\)/);
      expect(text.stdout).toContain('4 unused grants.');
      expect(text.stderr).toMatch(/warning: the audit table begins at .*after the period's start/);

      const failing = await cli('audit', 'unused', '--fail-on-unused', '--json');
      expect(failing.code).toBe(2);
      expect(JSON.parse(failing.stdout).unused_count).toBe(4);
      expect(failing.stderr).toContain('4 unused grants (--fail-on-unused)');

      // The printed commands work, and then nothing is unused.
      for (const client of report.clients) {
        const args = (client.command as string).split(' ').slice(1);
        expect((await cli(...args)).code, client.command).toBe(0);
      }
      const clean = await cli('audit', 'unused', '--fail-on-unused');
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('No unused grants');
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'refuses conflicting or unknown options with one line and exit code 1',
    { timeout: 60_000 },
    async () => {
      for (const args of [
        ['graph', '--json', '--format', 'dot'],
        ['graph', '--format', 'svg'],
        ['graph', '--since', 'last week'],
        ['unused', '--fail-on-unsused'],
        ['unused', '--manifest', 'no-such-manifest.yaml'],
      ]) {
        const { code, stderr } = await cli('audit', ...args);
        expect(code, args.join(' ')).toBe(1);
        // With --json the error is one JSON object with its ERR_ code; otherwise one text line.
        if (args.includes('--json')) expect(JSON.parse(stderr).error.code).toMatch(/^ERR_/);
        else expect(stderr).toMatch(/^m2m-auth: error: /);
      }
    },
  );
});
