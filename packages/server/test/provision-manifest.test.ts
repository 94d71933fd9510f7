import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProvisionWorkspace,
  HOSPITAL_MANIFEST,
  type ProvisionWorkspace,
  runCliCaptured,
} from './helpers/provision-fixture.js';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

// A valid base: ms_admin calls ms_doctor; line numbers in the cases below count from here.
const BASE = [
  'auth_url: http://127.0.0.1:8080', // 1
  'services:', // 2
  '  ms_doctor:', // 3
  '    scopes: [doctors:read, doctors:write]', // 4
  '  ms_admin:', // 5
  '    calls:', // 6
  '      ms_doctor: [doctors:read]', // 7
];

const CASES: { name: string; manifest: string; expected: string[] }[] = [
  {
    name: 'a YAML syntax error, with its line and column',
    manifest: lines(...BASE.slice(0, 3), '    scopes: [doctors:read', ...BASE.slice(4)),
    expected: ['is not valid YAML/JSON', 'services.yaml:5:'],
  },
  {
    name: 'a call to an unknown service',
    manifest: lines(...BASE, '      ms_nurse: [nurses:read]'),
    expected: [
      'services.yaml:8:7: services.ms_admin.calls.ms_nurse: unknown service "ms_nurse" (not listed under services)',
    ],
  },
  {
    name: 'a scope the receiving service does not declare',
    manifest: lines(...BASE.slice(0, 6), '      ms_doctor: [doctors:read, doctors:delete]'),
    expected: [
      'services.yaml:7:33: services.ms_admin.calls.ms_doctor.1: scope "doctors:delete" is not declared by ms_doctor (ms_doctor declares doctors:read, doctors:write)',
    ],
  },
  {
    name: 'a duplicate service name',
    manifest: lines(...BASE, '  ms_doctor:', '    scopes: [doctors:read]'),
    expected: [
      'services.yaml:8:3: services.ms_doctor: duplicate service name "ms_doctor" (first at line 3)',
    ],
  },
  {
    name: 'service names that differ only in letter case (they become file names)',
    manifest: lines(...BASE, '  MS_DOCTOR:', '    scopes: [doctors:read]'),
    expected: ['services.yaml:8:3: services.MS_DOCTOR: duplicate service name'],
  },
  {
    name: 'a duplicate scope in a list',
    manifest: lines(
      ...BASE.slice(0, 3),
      '    scopes: [doctors:read, doctors:read]',
      ...BASE.slice(4),
    ),
    expected: ['services.yaml:4:28: services.ms_doctor.scopes.1: duplicate scope "doctors:read"'],
  },
  {
    name: 'an unknown key, with the keys that are allowed',
    manifest: lines(...BASE.slice(0, 5), '    call:', '      ms_doctor: [doctors:read]'),
    expected: [
      'services.yaml:6:5: services.ms_admin.call: unknown key "call" (expected one of: description, scopes, calls, token_ttl_sec, passport_client, client_auth)',
    ],
  },
  {
    name: 'a value of the wrong type',
    manifest: lines(...BASE.slice(0, 3), '    scopes: doctors:read', ...BASE.slice(4)),
    expected: ['services.yaml:4:13: services.ms_doctor.scopes: must be a list, not string'],
  },
  {
    name: 'the wildcard scope',
    manifest: lines(...BASE.slice(0, 3), '    scopes: ["*"]', ...BASE.slice(4)),
    expected: [
      'services.ms_doctor.scopes.0: the wildcard scope "*" is reserved and cannot be granted',
    ],
  },
  {
    name: 'a service calling itself (a token cannot be minted for its own client)',
    manifest: lines(
      ...BASE.slice(0, 4),
      '    calls: { ms_doctor: [doctors:read] }',
      ...BASE.slice(4),
    ),
    expected: [
      'services.yaml:5:14: services.ms_doctor.calls.ms_doctor: a service cannot call itself',
    ],
  },
  {
    name: 'a service that neither declares scopes nor calls anyone',
    manifest: lines(...BASE, '  ms_idle:', '    description: does nothing'),
    expected: ['services.yaml:8:3: services.ms_idle: declares no scopes and calls no service'],
  },
  {
    name: 'a service name that could not be a file name',
    manifest: lines(...BASE, '  ../ms_evil:', '    scopes: [x]'),
    expected: ['services.yaml:8:3: services.../ms_evil: must start with a letter'],
  },
  {
    name: 'an auth_url that is not an http(s) URL',
    manifest: lines('auth_url: ftp://auth.example', ...BASE.slice(1)),
    expected: [
      'services.yaml:1:11: auth_url: "ftp://auth.example" must be an http:// or https:// URL',
    ],
  },
  {
    name: 'a missing authorization server URL',
    manifest: lines(...BASE.slice(1)),
    expected: ["the authorization server's URL is not set: add auth_url to"],
  },
  {
    name: 'an empty manifest',
    manifest: '# nothing yet\n',
    expected: ['services.yaml is empty'],
  },
  {
    name: 'shape errors (checked before cross-references)',
    manifest: lines(
      ...BASE.slice(0, 6),
      '      ms_doctor: [doctors:delete]',
      '      ms_nurse: [nurses:read]',
      '    token_ttl_sec: 1.5',
    ),
    expected: [
      'services.yaml is invalid (1 problem)', // only the TTL: references are checked after shapes
      'services.yaml:9:20: services.ms_admin.token_ttl_sec: must be a whole number of seconds',
    ],
  },
];

describe('m2m-auth provision refuses a bad manifest and changes nothing', () => {
  let ws: ProvisionWorkspace;
  let revision: number;
  let envFiles: Map<string, string>;
  const readEnvFolder = () =>
    new Map(readdirSync(ws.envDir).map((n) => [n, readFileSync(join(ws.envDir, n), 'utf8')]));

  beforeAll(async () => {
    ws = createProvisionWorkspace();
    expect((await ws.provision()).code).toBe(0);
    revision = await ws.withStore((store) => store.revision());
    envFiles = readEnvFolder();
  });
  afterAll(() => ws.remove());

  it.each(CASES)('reports $name', async ({ manifest, expected }) => {
    ws.writeManifest(manifest);
    const run = await ws.provision();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    for (const text of expected) expect(run.stderr).toContain(text);
    expect(run.stderr).toMatch(/^m2m-auth: error: /);
    expect(await ws.withStore((store) => store.revision())).toBe(revision);
    expect(readEnvFolder()).toEqual(envFiles);
  });

  it('reports several semantic problems together, one line each', async () => {
    ws.writeManifest(
      lines(
        ...BASE.slice(0, 6),
        '      ms_doctor: [doctors:delete]',
        '      ms_nurse: [nurses:read]',
      ),
    );
    const run = await ws.provision();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('services.yaml is invalid (2 problems) [ERR_MANIFEST_INVALID]:\n');
    const problemLines = run.stderr.split('\n').filter((l) => l.startsWith('  '));
    expect(problemLines.map((l) => l.trim().split(': ')[0])).toEqual([
      expect.stringMatching(/services\.yaml:7:\d+$/),
      expect.stringMatching(/services\.yaml:8:\d+$/),
    ]);
  });

  it('reports a manifest that cannot be read', async () => {
    const run = await runCliCaptured([
      'provision',
      join(ws.dir, 'nope.yaml'),
      '--database',
      ws.databaseUrl,
      '--env-dir',
      ws.envDir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot read manifest ${join(ws.dir, 'nope.yaml')}: no such file`);
    expect(await ws.withStore((store) => store.revision())).toBe(revision);
  });
});

describe('m2m-auth provision reads JSON manifests', () => {
  it('provisions a JSON manifest exactly like its YAML twin', async () => {
    const ws = createProvisionWorkspace();
    try {
      ws.writeManifest(
        JSON.stringify(
          {
            auth_url: 'http://127.0.0.1:8080',
            services: {
              ms_doctor: { scopes: ['doctors:read'] },
              ms_admin: { calls: { ms_doctor: ['doctors:read'] } },
            },
          },
          null,
          2,
        ),
      );
      const { code, report } = await ws.provisionJson();
      expect(code).toBe(0);
      expect(report.clients).toMatchObject([
        { name: 'ms_admin', action: 'create', audiences: ['ms_doctor'], scopes: ['doctors:read'] },
      ]);
    } finally {
      ws.remove();
    }
  });

  it('gives line numbers for a JSON error too', async () => {
    const ws = createProvisionWorkspace();
    try {
      ws.writeManifest(
        '{\n  "auth_url": "http://127.0.0.1:8080",\n  "services": {\n    "ms_admin": { "calls": { "ms_x": ["a"] } }\n  }\n}\n',
      );
      const run = await ws.provision();
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        'services.yaml:4:30: services.ms_admin.calls.ms_x: unknown service',
      );
    } finally {
      ws.remove();
    }
  });
});

describe('the hospital manifest', () => {
  it('is valid and describes ten services', async () => {
    const ws = createProvisionWorkspace(HOSPITAL_MANIFEST);
    try {
      const { code, report } = await ws.provisionJson('--dry-run');
      expect(code).toBe(0);
      const services = new Set(report.files.flatMap((f) => (f.service ? [f.service] : [])));
      expect(services.size).toBe(10);
      expect([...services]).toEqual(
        expect.arrayContaining(['ms_admin', 'ms_doctor', 'ms_college']),
      );
    } finally {
      ws.remove();
    }
  });
});

describe('the service-name rule as the manifest header states it', () => {
  it('says what the schema enforces: the first a letter or digit', async () => {
    const header = readFileSync(HOSPITAL_MANIFEST, 'utf8');
    expect(header).toContain('the first a letter or digit');
    expect(header).not.toContain('a letter, then');

    // A leading digit is accepted (as by `client create`); a leading "_" is refused.
    const ws = createProvisionWorkspace(HOSPITAL_MANIFEST);
    try {
      ws.writeManifest(
        lines(
          'auth_url: http://127.0.0.1:8080',
          'services:',
          '  2fa-gateway:',
          '    scopes: [codes:check]',
          '  ms_admin:',
          '    calls: { 2fa-gateway: [codes:check] }',
        ),
      );
      const ok = await ws.provisionJson('--dry-run');
      expect(ok.code).toBe(0);
      expect(ok.report.clients.map((c) => c.audiences)).toEqual([['2fa-gateway']]);

      ws.writeManifest(
        lines('auth_url: http://127.0.0.1:8080', 'services:', '  _gateway:', '    scopes: [x]'),
      );
      const bad = await ws.provision('--dry-run');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('must start with a letter or digit');
    } finally {
      ws.remove();
    }
  });
});
