/**
 * A throwaway PostgreSQL cluster of a test's own (scripts/pg-temp.sh, its own folder and loopback
 * port), for tests that stop and restart the server — never the shared test cluster.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PGBIN = process.env['PGBIN'] ?? '/usr/lib/postgresql/15/bin';
const SCRIPT = join(import.meta.dirname, '..', '..', '..', '..', 'scripts', 'pg-temp.sh');

/** Whether PostgreSQL 15 binaries are here to start a cluster of one's own. */
export function pgBinariesAvailable(): boolean {
  return existsSync(join(PGBIN, 'initdb')) && existsSync(join(PGBIN, 'pg_ctl'));
}

/** A running throwaway cluster with the database `m2m_auth_test`. */
export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/m2m_auth_test`. */
  url: string;
  port: number;
  /** Fast shutdown (open connections are terminated), waiting until it is down. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port, waiting until it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl restart -m fast`. */
  restart(): Promise<void>;
  /** Stops the server and deletes its folder. */
  destroy(): Promise<void>;
}

/** Starts a cluster on a random loopback port (retrying another port if that one is taken). */
export async function startPgCluster(): Promise<PgCluster> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-pg-own-'));
    const port = 40000 + Math.floor(Math.random() * 20000);
    try {
      const { stdout } = await run('bash', [SCRIPT, 'start', dir, String(port)]);
      return cluster(dir, port, stdout.trim());
    } catch (err) {
      lastError = err;
      await run('bash', [SCRIPT, 'stop', dir]).catch(() => {});
    }
  }
  throw lastError;
}

function cluster(dir: string, port: number, url: string): PgCluster {
  const pgCtl = (...args: string[]) => {
    const command = [join(PGBIN, 'pg_ctl'), '-D', join(dir, 'data'), ...args];
    // As root, the cluster belongs to the postgres user (initdb refuses root), as in pg-temp.sh.
    return process.getuid?.() === 0
      ? run('runuser', ['-u', 'postgres', '--', ...command])
      : run(command[0]!, command.slice(1));
  };
  const log = join(dir, 'server.log');
  return {
    url,
    port,
    async stop() {
      await pgCtl('-m', 'fast', '-w', 'stop');
    },
    async start() {
      await pgCtl(
        '-l',
        log,
        '-w',
        '-t',
        '60',
        '-o',
        `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
        'start',
      );
    },
    async restart() {
      await pgCtl('-l', log, '-m', 'fast', '-w', '-t', '60', 'restart');
    },
    async destroy() {
      await run('bash', [SCRIPT, 'stop', dir]);
    },
  };
}
