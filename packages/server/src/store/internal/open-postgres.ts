import { PostgresDialect } from 'kysely';
import type pg from 'pg';

/** PostgreSQL connection-pool settings. */
export interface PostgresPoolOptions {
  /** Most connections held, default 10. */
  max?: number;
  /** How long to wait for a connection before failing, milliseconds; default 5000. */
  connectionTimeoutMs?: number;
  /** How long an idle connection is kept, milliseconds; default 30000. */
  idleTimeoutMs?: number;
  /** Longest a single statement may run, milliseconds; default 10000. */
  statementTimeoutMs?: number;
}

const INT8_OID = 20;

/**
 * A Kysely dialect over a `pg` pool. `bigint` columns (Unix seconds, the revision) are parsed as
 * numbers — they stay far below 2^53 — through a per-pool type parser, leaving pg's global
 * parsers untouched for other code in the process.
 */
export async function openPostgres(
  connectionString: string,
  options: PostgresPoolOptions,
  onPoolError: (err: Error) => void,
): Promise<{ dialect: PostgresDialect; pool: pg.Pool }> {
  // Loaded on demand: SQLite users (and every CLI start) skip the driver they do not use.
  const { default: pgModule } = await import('pg');
  const pool = new pgModule.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    application_name: 'm2m-auth',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (value: string) => Number(value)
          : pgModule.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection dropped by the server (restart, failover) is reported here; without a
  // listener the process would crash. The pool replaces the connection on next use.
  pool.on('error', onPoolError);
  return { dialect: new PostgresDialect({ pool }), pool };
}
