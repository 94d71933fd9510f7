import { type Command, InvalidArgumentError, Option } from 'commander';
import type { PostgresPoolOptions } from '../../store/internal/open-postgres.js';

/** Environment variables read by the PostgreSQL pool flags, by flag. */
export const POOL_ENV = {
  max: 'M2M_AUTH_PG_POOL_MAX',
  connectionTimeoutMs: 'M2M_AUTH_PG_CONNECT_TIMEOUT_MS',
  idleTimeoutMs: 'M2M_AUTH_PG_IDLE_TIMEOUT_MS',
  statementTimeoutMs: 'M2M_AUTH_PG_STATEMENT_TIMEOUT_MS',
} as const satisfies Record<keyof PostgresPoolOptions, string>;

/** The pool flags as commander parses them. */
export interface PoolFlags {
  pgPoolMax?: number;
  pgConnectTimeout?: number;
  pgIdleTimeout?: number;
  pgStatementTimeout?: number;
}

/**
 * Adds the PostgreSQL pool flags (each also read from its environment variable; ignored on
 * SQLite). Defaults are openStore's: 10 connections, 5000 ms to get one, 30000 ms idle,
 * 10000 ms per statement.
 */
export function addPoolOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--pg-pool-max <n>',
        'PostgreSQL: most connections this process holds (default 10)',
      )
        .env(POOL_ENV.max)
        .argParser(wholeNumber(1)),
    )
    .addOption(
      new Option(
        '--pg-connect-timeout <ms>',
        'PostgreSQL: longest wait for a connection, ms, then 503 (default 5000)',
      )
        .env(POOL_ENV.connectionTimeoutMs)
        .argParser(wholeNumber(0)),
    )
    .addOption(
      new Option(
        '--pg-idle-timeout <ms>',
        'PostgreSQL: how long an unused connection is kept open, ms (default 30000)',
      )
        .env(POOL_ENV.idleTimeoutMs)
        .argParser(wholeNumber(0)),
    )
    .addOption(
      new Option(
        '--pg-statement-timeout <ms>',
        'PostgreSQL: longest a query may run, ms; 0 = no limit (default 10000)',
      )
        .env(POOL_ENV.statementTimeoutMs)
        .argParser(wholeNumber(0)),
    );
}

/** The pool settings given by flags or environment; absent ones keep openStore's defaults. */
export function poolOptionsOf(opts: PoolFlags): PostgresPoolOptions {
  const pool: PostgresPoolOptions = {};
  if (opts.pgPoolMax !== undefined) pool.max = opts.pgPoolMax;
  if (opts.pgConnectTimeout !== undefined) pool.connectionTimeoutMs = opts.pgConnectTimeout;
  if (opts.pgIdleTimeout !== undefined) pool.idleTimeoutMs = opts.pgIdleTimeout;
  if (opts.pgStatementTimeout !== undefined) pool.statementTimeoutMs = opts.pgStatementTimeout;
  return pool;
}

function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    if (!/^\d{1,9}$/.test(trimmed) || Number(trimmed) < min) {
      throw new InvalidArgumentError(`expected a whole number from ${min}`);
    }
    return Number(trimmed);
  };
}
