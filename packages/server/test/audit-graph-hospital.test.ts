/**
 * The hospital platform (examples/hospital/services.yaml) provisioned for real, a bounded set of
 * the demo's token requests made to a real `serve --audit-store`, then `audit graph` shows exactly
 * those calls and `audit unused` every grant they did not use, on SQLite and PostgreSQL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from './helpers/auth-server.js';
import { HOSPITAL_DEMO_CALLS, HOSPITAL_MANIFEST } from './helpers/provision-fixture.js';
import { runCliProcess } from './helpers/run-cli.js';
import { startServeProcess } from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

describe.each(TEST_DIALECTS)('the hospital platform in audit graph on %s', (dialect) => {
  let database: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  const ids = new Map<string, string>();
  const cli = (...args: string[]) => runCliProcess(args, { cwd: dir, env });

  beforeAll(async () => {
    if (dialectUnavailable(dialect)) return;
    database = await createTestDatabase(dialect);
    dir = mkdtempSync(join(tmpdir(), 'm2m-auth-audit-hospital-'));
    env = { DATABASE_URL: database.url, M2M_AUTH_KEK: randomKek() };
    const envDir = join(dir, 'env');
    const provisioned = await cli('provision', HOSPITAL_MANIFEST, '--env-dir', envDir);
    expect(provisioned.code, provisioned.stderr).toBe(0);
    const credentials = (name: string) => {
      const values = parseEnv(readFileSync(join(envDir, `${name}.env`), 'utf8'));
      const clientId = values['OAUTH_CLIENT_ID'] ?? '';
      ids.set(name, clientId);
      return basicAuth(clientId, values['OAUTH_CLIENT_SECRET'] ?? '');
    };
    for (const name of ['ms_admin', 'ms_appointment']) credentials(name);

    const served = await startServeProcess(['--audit-store'], {
      env: { ...process.env, ...env },
      cwd: dir,
    });
    try {
      for (const [client, audience, scope, times, status] of HOSPITAL_DEMO_CALLS) {
        for (let i = 0; i < times; i += 1) {
          const res = await fetch(`${served.url}/oauth/token`, {
            method: 'POST',
            headers: {
              authorization: credentials(client),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: new URLSearchParams({ grant_type: 'client_credentials', audience, scope }),
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          expect(res.status, `${client} -> ${audience} ${scope}`).toBe(status);
        }
      }
    } finally {
      await served.stop();
    }
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(dialectUnavailable(dialect))(
    'shows exactly the calls made, and nothing else',
    { timeout: 60_000 },
    async () => {
      const { code, stdout } = await cli('audit', 'graph', '--since', '1h', '--json');
      expect(code).toBe(0);
      const graph = JSON.parse(stdout);
      expect(
        graph.edges.map((e: Record<string, unknown>) => ({
          from: e['from'],
          to: e['to'],
          tokens: e['tokens'],
          scopes: e['scopes'],
          refusals: e['refusal_reasons'],
        })),
      ).toEqual([
        ...['ms_college', 'ms_doctor', 'ms_lab', 'ms_pharmacy'].map((to) => ({
          from: 'ms_admin',
          to,
          tokens: 2,
          scopes: [{ scope: HOSPITAL_DEMO_CALLS.find((c) => c[1] === to)?.[2], tokens: 2 }],
          refusals: [],
        })),
        {
          from: 'ms_appointment',
          to: 'ms_doctor',
          tokens: 1,
          scopes: [{ scope: 'doctors:schedule', tokens: 1 }],
          refusals: [{ reason: 'ERR_SCOPE_NOT_ALLOWED', count: 1 }],
        },
      ]);
      expect(graph.unattributed_refusals).toEqual([]);
      expect(graph.totals).toEqual({ issued: 9, refused: 1 });

      const mermaid = await cli('audit', 'graph', '--since', '1h');
      const arrows = mermaid.stdout.split('\n').filter((line) => /-\.?->/.test(line));
      expect(arrows).toHaveLength(5);
      expect(mermaid.stdout).toContain(
        '"1 token<br/>doctors:schedule<br/>1 refused (ERR_SCOPE_NOT_ALLOWED)"',
      );
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'lists the grants the calls did not use, and the clients that got no token',
    { timeout: 60_000 },
    async () => {
      const { code, stdout } = await cli('audit', 'unused', '--since', '1h', '--json');
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      const summary = report.clients.map((c: Record<string, unknown>) => [
        c['name'],
        c['idle'],
        c['unused_audiences'],
        c['unused_scopes'],
        c['command'],
      ]);
      expect(summary).toEqual([
        [
          'ms_appointment',
          false,
          ['ms_notification', 'ms_patient'],
          ['notifications:send', 'patients:read'],
          'm2m-auth client update ms_appointment --audiences ms_doctor --scopes doctors:schedule',
        ],
        ...['ms_billing', 'ms_doctor', 'ms_lab', 'ms_patient', 'ms_pharmacy', 'ms_records'].map(
          (name) => [
            name,
            true,
            expect.any(Array),
            expect.any(Array),
            `m2m-auth client revoke ${name}`,
          ],
        ),
      ]);
      expect(report.clients[0].client_id).toBe(ids.get('ms_appointment'));
      expect(report.clients.some((c: { name: string }) => c.name === 'ms_admin')).toBe(false);

      // With the manifest, the exact edits: dropping a calls entry drops its scopes too.
      const exact = await cli(
        'audit',
        'unused',
        '--since',
        '1h',
        '--manifest',
        HOSPITAL_MANIFEST,
        '--json',
      );
      expect(exact.code, exact.stderr).toBe(0);
      const byName = new Map(
        JSON.parse(exact.stdout).clients.map((c: { name: string; manifest_changes: string[] }) => [
          c.name,
          c.manifest_changes,
        ]),
      );
      expect(byName.get('ms_appointment')).toEqual([
        'services.ms_appointment.calls.ms_patient: remove it',
        'services.ms_appointment.calls.ms_notification: remove it',
      ]);
      expect(byName.get('ms_doctor')).toEqual([
        'services.ms_doctor.calls: remove it (ms_doctor still declares scopes it receives)',
      ]);
    },
  );
});
