/**
 * Throwaway databases for tests: a SQLite file in a temporary folder, or a freshly created
 * PostgreSQL database on the server that the vitest global setup provides (`inject('pgUrl')`,
 * '' when there is none: PostgreSQL cases are then skipped).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

export type TestDialect = 'sqlite' | 'postgres';

/** Both dialects, for `describe.each`. */
export const TEST_DIALECTS: readonly TestDialect[] = ['sqlite', 'postgres'];

/** The PostgreSQL admin URL, or '' when PostgreSQL tests are skipped. */
export function pgUrl(): string {
  return inject('pgUrl');
}

/** Whether tests for this dialect cannot run here. */
export function dialectUnavailable(dialect: TestDialect): boolean {
  return dialect === 'postgres' && pgUrl() === '';
}

/** A database that exists until `drop()`. */
export interface TestDatabase {
  dialect: TestDialect;
  url: string;
  /** For SQLite: the folder holding the file (and the KEK file, if created). */
  dir?: string;
  /** For SQLite: the database file. */
  file?: string;
  drop(): Promise<void>;
}

/** A new empty database of the given dialect. */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-test-'));
    const file = join(dir, 'm2m-auth.db');
    return {
      dialect,
      url: `sqlite:${file}`,
      dir,
      file,
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const admin = pgUrl();
  if (admin === '') throw new Error('PostgreSQL is not available for tests');
  const name = `m2m_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(admin, (client) => client.query(`create database "${name}"`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    async drop() {
      await withAdminClient(admin, (client) =>
        client.query(`drop database if exists "${name}" with (force)`),
      );
    },
  };
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A random key-encryption key, base64 (what `M2M_AUTH_KEK` holds). */
export function randomKek(): string {
  return randomBytes(32).toString('base64');
}
