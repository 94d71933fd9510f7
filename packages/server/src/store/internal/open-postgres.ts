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
  /**
   * Longest a single statement may run, milliseconds; default 10000. Enforced by the server
   * (`statement_timeout`); the client also gives up on a query after this plus
   * {@link QUERY_TIMEOUT_MARGIN_MS}, for a server that no longer answers at all (network partition).
   */
  statementTimeoutMs?: number;
}

/** How long after `statementTimeoutMs` the client itself abandons an unanswered query, ms. */
export const QUERY_TIMEOUT_MARGIN_MS = 5_000;

const INT8_OID = 20;

/**
 * Checks pool settings: `max` a whole number from 1, timeouts whole milliseconds from 0
 * (0 = no limit, as in pg).
 *
 * @throws TypeError naming the misused setting.
 */
export function checkPostgresPoolOptions(options: PostgresPoolOptions): void {
  const limits: [keyof PostgresPoolOptions, number][] = [
    ['max', 1],
    ['connectionTimeoutMs', 0],
    ['idleTimeoutMs', 0],
    ['statementTimeoutMs', 0],
  ];
  for (const [name, min] of limits) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
      throw new TypeError(`pool.${name} must be a whole number from ${min}`);
    }
  }
}

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
  checkPostgresPoolOptions(options);
  // Loaded on demand: SQLite users (and every CLI start) skip the driver they do not use.
  const { default: pgModule } = await import('pg');
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const pool = new pgModule.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    statement_timeout: statementTimeoutMs,
    // 0 disables statement_timeout; then nothing bounds a query on the client side either.
    ...(statementTimeoutMs > 0
      ? { query_timeout: statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS }
      : {}),
    // TCP keepalive notices a peer that vanished without closing the connection.
    keepAlive: true,
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
  // pg-pool listens for errors only on idle connections. A connection checked out by a query or a
  // transaction whose server goes away emits 'error' on the client too (besides failing the query)
  // and, unheard, that would crash the process. The failure reaches the caller through the query,
  // so this listener only has to exist; the pool drops the broken connection on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return { dialect: new PostgresDialect({ pool }), pool };
}
