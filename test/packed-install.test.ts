/**
 * The three packages as users get them from the registry: `npm pack` each one, install the
 * tarballs with `npm install --omit=dev` into an empty folder outside the repository (their
 * dependencies come from the npm registry), run `npx m2m-auth serve` from there on SQLite, get a
 * token with the installed client, and verify it with the installed verifier — in an ESM script,
 * and in a TypeScript file type-checked against the installed types.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const PACKAGES = ['server', 'verifier', 'client'] as const;
const NPM = join(dirname(process.execPath), 'npm');
const NPX = join(dirname(process.execPath), 'npx');

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** The environment without the npm_* variables of an `npm test` run (they would point at the repo). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(name) && name !== 'DATABASE_URL' && name !== 'M2M_AUTH_KEK') {
      env[name] = value;
    }
  }
  return { ...env, ...extra };
}

function run(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

let work: string;
let app: string;
let packs: PackResult[];
let installLog: string;
let serveChild: ChildProcess | undefined;

// Installing compiles better-sqlite3 when no prebuilt binary is reachable: minutes on a busy machine.
describe('the packed packages, installed outside the repository', { timeout: 900_000 }, () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'm2m-auth-packed-'));
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    const packed = await run(
      NPM,
      [
        'pack',
        '--json',
        '--pack-destination',
        tarballs,
        ...PACKAGES.flatMap((name) => ['-w', `packages/${name}`]),
      ],
      { cwd: ROOT },
    );
    packs = JSON.parse(packed.stdout) as PackResult[];
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'packed-install-check', private: true, type: 'module' }, null, 2)}\n`,
    );
    const installed = await run(
      NPM,
      [
        'install',
        '--omit=dev',
        '--no-audit',
        '--no-fund',
        ...packs.map((pack) => join(tarballs, pack.filename)),
      ],
      { cwd: app, timeoutMs: 840_000 },
    );
    installLog = `${installed.stdout}\n${installed.stderr}`;
  }, 900_000);

  afterAll(() => {
    // npx runs m2m-auth as its child: end the whole process group.
    if (serveChild?.pid !== undefined && serveChild.exitCode === null) {
      try {
        process.kill(-serveChild.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs what each package.json points at, licenses and standalone READMEs, and nothing of the workspace', () => {
    expect(packs.map((pack) => pack.name).sort()).toEqual([
      '@m2m-auth/client',
      '@m2m-auth/server',
      '@m2m-auth/verifier',
    ]);
    for (const pack of packs) {
      const dir = join(ROOT, 'packages', pack.name.replace('@m2m-auth/', ''));
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        version: string;
        license: string;
        bin?: Record<string, string>;
        exports: Record<string, Record<string, string>>;
        dependencies?: Record<string, string>;
      };
      const files = new Set(pack.files.map((file) => file.path));
      expect(manifest.version, pack.name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(manifest.license).toBe('MIT');
      for (const required of ['package.json', 'README.md', 'LICENSE', 'ERRORS.md']) {
        expect(files.has(required), `${pack.name} packs ${required}`).toBe(true);
      }
      const targets = [
        ...Object.values(manifest.bin ?? {}),
        ...Object.values(manifest.exports).flatMap((conditions) => Object.values(conditions)),
      ];
      for (const target of targets) {
        expect(files.has(target.replace(/^\.\//, '')), `${pack.name} packs ${target}`).toBe(true);
      }
      for (const path of files) {
        expect(path, pack.name).not.toMatch(/tsbuildinfo|(^|\/)test\//);
      }
      if (pack.name === '@m2m-auth/server') {
        // The console's static files, found by the built code next to dist/.
        for (const name of ['index.html', 'console.js', 'console.css', 'favicon.svg']) {
          expect(files.has(`console/${name}`), `packs console/${name}`).toBe(true);
        }
      }
      for (const range of Object.values(manifest.dependencies ?? {})) {
        expect(range, `${pack.name}: dependencies come from the registry`).not.toMatch(
          /^(file:|link:|workspace:|\.)/,
        );
      }
      // Links in a README on the registry resolve against the package, not the repository.
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      for (const [, target] of readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (target === undefined || /^[a-z]+:/i.test(target)) continue;
        expect(files.has(target.replace(/^\.\//, '')), `${pack.name} README links ${target}`).toBe(
          true,
        );
      }
    }
  });

  it('installs with --omit=dev without an engine warning', () => {
    expect(installLog).not.toMatch(/EBADENGINE|Unsupported engine/);
  });

  it('serves with npx m2m-auth on SQLite; the installed client gets a token that the installed verifier accepts, from ESM and from type-checked TypeScript', async () => {
    const env = cleanEnv({
      DATABASE_URL: 'sqlite:./data/auth.db',
      M2M_AUTH_KEK: randomBytes(32).toString('base64'),
    });
    const created = JSON.parse(
      (
        await run(
          NPX,
          [
            '--no',
            'm2m-auth',
            'client',
            'create',
            'ms_caller',
            '--audiences',
            'ms_receiver',
            '--scopes',
            'things:read',
            '--json',
          ],
          { cwd: app, env },
        )
      ).stdout,
    ) as { client_id: string; client_secret: string };

    const child = spawn(NPX, ['--no', 'm2m-auth', 'serve', '--port', '0', '--admin-port', '0'], {
      cwd: app,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    serveChild = child;
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 60_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1] && /admin endpoints .* on http/.test(stderr)) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code}:\n${stderr}`));
      });
    });

    // The installed package serves the console's files from its own folder.
    const admin = /admin endpoints .* on (http:\/\/\S+)/.exec(stderr)?.[1];
    for (const path of ['/console/', '/console/console.js']) {
      const res = await fetch(`${admin}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    }

    const script = `
import { createTokenClient } from '@m2m-auth/client';
import { createVerifier } from '@m2m-auth/verifier';

const [url] = process.argv.slice(2);
const client = createTokenClient({
  tokenUrl: \`\${url}/oauth/token\`,
  clientId: process.env.OAUTH_CLIENT_ID,
  clientSecret: process.env.OAUTH_CLIENT_SECRET,
});
const token = await client.getToken({ audience: 'ms_receiver', scope: 'things:read' });
const verifier = createVerifier({
  issuer: url,
  audience: 'ms_receiver',
  jwksUri: \`\${url}/.well-known/jwks.json\`,
});
const info = await verifier.authenticate(\`Bearer \${token}\`, { scopes: ['things:read'] });
console.log(JSON.stringify({ clientId: info.clientId, scopes: info.scopes }));
`;
    writeFileSync(join(app, 'check.mjs'), script);
    const tokenEnv = {
      ...env,
      OAUTH_CLIENT_ID: created.client_id,
      OAUTH_CLIENT_SECRET: created.client_secret,
    };
    const verified = await run(process.execPath, ['check.mjs', url], { cwd: app, env: tokenEnv });
    expect(JSON.parse(verified.stdout)).toEqual({
      clientId: created.client_id,
      scopes: ['things:read'],
    });

    // The same in TypeScript, type-checked against the installed declarations (the repo's tsc
    // and @types/node; nothing of the repository's sources).
    writeFileSync(
      join(app, 'check.ts'),
      script
        .replace(
          'const [url] = process.argv.slice(2);',
          'const url: string = process.argv[2] ?? "";',
        )
        .replace('process.env.OAUTH_CLIENT_ID,', "process.env['OAUTH_CLIENT_ID'] ?? '',")
        .replace('process.env.OAUTH_CLIENT_SECRET,', "process.env['OAUTH_CLIENT_SECRET'] ?? '',")
        .replace(
          'console.log(JSON.stringify({ clientId: info.clientId, scopes: info.scopes }));',
          'const clientId: string = info.clientId;\nconst scopes: readonly string[] = info.scopes;\nconsole.log(clientId, scopes);',
        ),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    await run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
      {
        cwd: app,
      },
    );
    // A type error is caught: the check is not vacuous.
    writeFileSync(
      join(app, 'check.ts'),
      `${readFileSync(join(app, 'check.ts'), 'utf8')}\nconst wrong: number = info.clientId;\nconsole.log(wrong);\n`,
    );
    await expect(
      run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
        cwd: app,
      }),
    ).rejects.toThrow(/TS2322/);

    // SIGTERM to the group (npx and m2m-auth): the server shuts down gracefully.
    const exited = new Promise<void>((resolve) => {
      // 'close': every holder of the stderr pipe (npx and m2m-auth) has exited.
      child.once('close', () => resolve());
    });
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
    expect(stderr).toMatch(/m2m-auth: stopped/);
  });
});
