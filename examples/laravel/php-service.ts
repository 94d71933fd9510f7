/**
 * Starts `examples/laravel/public/index.php` under PHP's built-in web server on a free loopback
 * port, with firebase/php-jwt from ../shared/vendor/php-jwt: a real PHP receiver for tests.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const PHP_JWT_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'vendor',
  'php-jwt',
);
/** The m2m-auth receiver (what the Laravel middleware does). */
export const PHP_M2M_SERVICE = join(import.meta.dirname, 'public', 'index.php');
/** A receiver as it verifies Passport tokens before the migration. */
export const PHP_PASSPORT_ERA_SERVICE = join(import.meta.dirname, 'passport-era', 'index.php');

/** Whether php-cli and the vendored php-jwt are here (tests skip otherwise). */
export const phpAvailable: boolean = (() => {
  try {
    execFileSync('php', ['--version'], { stdio: 'ignore' });
    return existsSync(join(PHP_JWT_DIR, 'src', 'JWT.php'));
  } catch {
    return false;
  }
})();

export interface PhpService {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param env - M2M_AUTH_ISSUER, M2M_AUTH_AUDIENCE, and OAUTH_PUBLIC_KEY_PATH or M2M_AUTH_JWKS_URI
 *   (see public/index.php), or what `entry` reads.
 * @param entry - the PHP script serving every request.
 */
export async function startPhpService(
  env: Record<string, string>,
  entry: string = PHP_M2M_SERVICE,
): Promise<PhpService> {
  const port = await freePort();
  const child: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, entry], {
    env: { PATH: process.env['PATH'] ?? '', PHP_JWT_DIR, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`php -S exited: ${stderr}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
