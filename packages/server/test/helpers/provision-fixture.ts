/**
 * A workspace for provisioning tests: a temporary folder with a SQLite database, an env folder and
 * a copy of a manifest, and a way to run the real `m2m-auth provision` command in process
 * (`runCli`) with its stdout/stderr captured.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { openStore, type Store } from '@m2m-auth/server';
import { runCli } from '@m2m-auth/server/cli';
import { vi } from 'vitest';

/** The hospital manifest of the repository. */
export const HOSPITAL_MANIFEST = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'examples',
  'hospital',
  'services.yaml',
);

/**
 * The hospital demo's token requests, as the tests replay them against the manifest above: client,
 * audience, scope, how often, and the expected status.
 */
export const HOSPITAL_DEMO_CALLS: readonly [
  client: string,
  audience: string,
  scope: string,
  times: number,
  status: number,
][] = [
  ['ms_admin', 'ms_doctor', 'doctors:read', 2, 200],
  ['ms_admin', 'ms_college', 'colleges:read', 2, 200],
  ['ms_admin', 'ms_pharmacy', 'prescriptions:read', 2, 200],
  ['ms_admin', 'ms_lab', 'lab-results:read', 2, 200],
  ['ms_appointment', 'ms_doctor', 'doctors:schedule', 1, 200],
  // ms_appointment was not granted doctors:read: refused with invalid_scope, an edge with a refusal.
  ['ms_appointment', 'ms_doctor', 'doctors:read', 1, 400],
];

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in process, capturing what it writes to stdout and stderr. */
export async function runCliCaptured(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const capture =
    (append: (text: string) => void) =>
    (chunk: unknown, ...rest: unknown[]) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture((t) => (stdout += t)));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture((t) => (stderr += t)));
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A temporary folder with a database, an env folder and a manifest. */
export interface ProvisionWorkspace {
  dir: string;
  databaseUrl: string;
  envDir: string;
  manifest: string;
  /** Replaces the manifest's content. */
  writeManifest(text: string): void;
  /** Runs `m2m-auth provision <manifest> --database … --env-dir … <args>`. */
  provision(...args: string[]): Promise<CliRun>;
  /** Runs `provision … --json` and parses its report. */
  provisionJson(
    ...args: string[]
  ): Promise<{ code: number; report: ProvisionReportJson; stderr: string }>;
  /** The variables of `<envDir>/<service>.env`, read with Node's own .env parser. */
  readEnv(service: string): Record<string, string | undefined>;
  /** Opens the store, runs `fn`, closes it. */
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  remove(): void;
}

/** The parts of the `--json` report the tests look at. */
export interface ProvisionReportJson {
  dryRun: boolean;
  storeChanges: number;
  complete: boolean;
  signingKey: { action: 'generate' | 'keep'; kid?: string; alg: string };
  clients: {
    name: string;
    action: string;
    clientId?: string;
    scopes: string[];
    audiences: string[];
    secret: string;
  }[];
  unlisted: { name: string; clientId: string; action: string }[];
  files: { path: string; service: string | null; action: string; reason?: string }[];
  warnings: string[];
  endpoints: { tokenUrl: string; jwksUrl: string; issuer: string };
}

/** Creates a workspace whose manifest is a copy of `manifest` (default: the hospital manifest). */
export function createProvisionWorkspace(manifest = HOSPITAL_MANIFEST): ProvisionWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-provision-'));
  const databaseUrl = `sqlite:${join(dir, 'm2m-auth.db')}`;
  const envDir = join(dir, 'env');
  const manifestPath = join(dir, 'services.yaml');
  copyFileSync(manifest, manifestPath);
  const provision = (...args: string[]) =>
    runCliCaptured([
      'provision',
      manifestPath,
      '--database',
      databaseUrl,
      '--env-dir',
      envDir,
      ...args,
    ]);
  return {
    dir,
    databaseUrl,
    envDir,
    manifest: manifestPath,
    writeManifest(text) {
      writeFileSync(manifestPath, text);
    },
    provision,
    async provisionJson(...args) {
      const run = await provision(...args, '--json');
      let report: ProvisionReportJson;
      try {
        report = JSON.parse(run.stdout) as ProvisionReportJson;
      } catch {
        throw new Error(`no JSON report (exit ${run.code}): ${run.stderr}`);
      }
      return { code: run.code, report, stderr: run.stderr };
    },
    readEnv(service) {
      return parseEnv(readFileSync(join(envDir, `${service}.env`), 'utf8'));
    },
    async withStore(fn) {
      const store = await openStore({ databaseUrl, warn: () => {} });
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
