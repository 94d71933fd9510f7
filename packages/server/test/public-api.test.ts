/**
 * The server's curated public API: a small `.` entry for embedding, subpaths for the rest, each
 * listed in package.json `exports` with `types` first. A name added to an entry shows up here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
) as { exports: Record<string, string | Record<string, string>> };

const RUNTIME_NAMES: Record<string, string[]> = {
  '.': ['M2mAuthError', 'buildServer', 'openStore', 'startServer'],
  './cli': ['CLI_EXIT_CODES', 'runCli'],
  './passport': ['importPassportClients', 'readPassportClients'],
  './tokens': ['MAX_ACCESS_TOKEN_LENGTH', 'issueAccessToken'],
};

describe('@m2m-auth/server exports', () => {
  it('lists every entry with types first, each built from a src file of the same name', () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      const name = subpath === '.' ? 'index' : subpath.slice(2);
      expect(target).toEqual({ types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` });
      expect(Object.keys(target as object)).toEqual(['types', 'default']);
      expect(existsSync(join(import.meta.dirname, '..', 'src', `${name}.ts`))).toBe(true);
    }
  });

  it.each(Object.keys(RUNTIME_NAMES))(
    '%s exports exactly its curated runtime names',
    async (subpath) => {
      const specifier =
        subpath === '.' ? '@m2m-auth/server' : `@m2m-auth/server${subpath.slice(1)}`;
      const entry = (await import(specifier)) as Record<string, unknown>;
      expect(Object.keys(entry).sort()).toEqual(RUNTIME_NAMES[subpath]);
    },
  );

  it('keeps the DEFAULT_ and MAX_ constants off the main entry', async () => {
    const entry = (await import('@m2m-auth/server')) as Record<string, unknown>;
    expect(Object.keys(entry).filter((name) => /^(DEFAULT|MAX)_/.test(name))).toEqual([]);
  });

  it('offers every error family from ./errors, all extending M2mAuthError', async () => {
    const errors = (await import('@m2m-auth/server/errors')) as Record<string, unknown>;
    const { M2mAuthError } = await import('@m2m-auth/server');
    expect(errors['M2mAuthError']).toBe(M2mAuthError);
    const classes = Object.values(errors).filter(
      (value): value is abstract new (...args: never[]) => unknown =>
        typeof value === 'function' && value !== M2mAuthError,
    );
    expect(classes.length).toBe(7);
    for (const cls of classes) expect(cls.prototype).toBeInstanceOf(M2mAuthError);
  });
});
