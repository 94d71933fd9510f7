/**
 * Vitest global setup: makes sure the compiled packages (used by CLI subprocess tests) are fresh,
 * and that a PostgreSQL is available for the PostgreSQL half of the store tests.
 *
 * PostgreSQL: uses `M2M_AUTH_TEST_PG_URL` when set (CI starts one in `.ci/run`); otherwise starts a
 * throwaway cluster with `scripts/pg-temp.sh` when PostgreSQL 15 binaries are on the machine, and stops
 * it at the end. Without either, PostgreSQL tests are skipped with a message (see `test/pg.ts`).
 *
 * MariaDB (the Laravel database of the Passport import tests): the same with `M2M_AUTH_TEST_MYSQL_URL`
 * and `scripts/mariadb-temp.sh` when `mariadbd` is installed; tests needing it skip otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const root = join(import.meta.dirname, '..');

export default function setup(project: TestProject): () => void {
  try {
    execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  } catch {
    // `npm test` builds strictly before running vitest; here a broken build only means that
    // tests which spawn the compiled CLI may see stale code, so carry on and let them say so.
    console.warn('global-setup: `tsc -b` failed; compiled dist/ may be stale');
  }

  let stop = (): void => {};
  let url = process.env['M2M_AUTH_TEST_PG_URL'] ?? '';
  if (
    !url &&
    existsSync('/usr/lib/postgresql/15/bin/initdb') &&
    process.env['M2M_AUTH_TEST_PG'] !== 'off'
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-pg-'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const script = join(root, 'scripts', 'pg-temp.sh');
    url = execFileSync('bash', [script, 'start', dir, port], { encoding: 'utf8' }).trim();
    stop = () => {
      execFileSync('bash', [script, 'stop', dir], { stdio: 'inherit' });
    };
  }
  process.env['M2M_AUTH_TEST_PG_URL'] = url;
  project.provide('pgUrl', url);

  let stopMysql = (): void => {};
  let mysqlUrl = process.env['M2M_AUTH_TEST_MYSQL_URL'] ?? '';
  if (
    !mysqlUrl &&
    existsSync('/usr/sbin/mariadbd') &&
    existsSync('/usr/bin/mariadb-install-db') &&
    process.env['M2M_AUTH_TEST_MYSQL'] !== 'off'
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-mariadb-'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const script = join(root, 'scripts', 'mariadb-temp.sh');
    mysqlUrl = execFileSync('bash', [script, 'start', dir, port], { encoding: 'utf8' }).trim();
    stopMysql = () => {
      execFileSync('bash', [script, 'stop', dir], { stdio: 'inherit' });
    };
  }
  process.env['M2M_AUTH_TEST_MYSQL_URL'] = mysqlUrl;
  project.provide('mysqlUrl', mysqlUrl);
  return () => {
    try {
      stopMysql();
    } finally {
      stop();
    }
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    /** MariaDB URL (`mysql://…`), or '' when MariaDB tests are skipped. */
    mysqlUrl: string;
  }
}
