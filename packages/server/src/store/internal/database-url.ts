import { isAbsolute, resolve } from 'node:path';
import { StoreError } from '../store-error.js';

/** Where a database URL points. */
export type DatabaseLocation =
  | { dialect: 'sqlite' /** Absolute file path, or `:memory:`. */; path: string }
  | { dialect: 'postgres'; connectionString: string };

/**
 * Parses `sqlite:./rel.db`, `sqlite:/abs.db`, `sqlite:///abs.db`, `sqlite::memory:`,
 * `postgres://…` and `postgresql://…`. Relative SQLite paths resolve against `cwd`.
 * The error message names only the scheme, never the URL (it may hold a password).
 */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): DatabaseLocation {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    return { dialect: 'postgres', connectionString: trimmed };
  }
  if (/^sqlite:/i.test(trimmed)) {
    let path = trimmed.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') {
      throw new StoreError('ERR_INVALID_DATABASE_URL', 'database URL "sqlite:" names no file');
    }
    if (path === ':memory:') return { dialect: 'sqlite', path };
    return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  throw new StoreError(
    'ERR_INVALID_DATABASE_URL',
    scheme
      ? `unsupported database URL scheme "${scheme}:"; use sqlite:<path> or postgres://…`
      : 'database URL must start with sqlite: or postgres://',
  );
}

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}
