import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of the three packages, checked on their sources (type-only imports count: a
 * type that points the wrong way is a design that points the wrong way).
 *
 * 1. No import cycle between files, in any package.
 * 2. In packages/server/src, a top-level folder imports only the folders its row below allows.
 *    The rows form layers that point one way (the table itself is checked to have no cycle):
 *    cli → passport → provision → http → admin → metrics → grants → app → audit, clients, keys,
 *    revocations → tokens → internal → store, with errors/ at the very bottom (every folder may throw the package's errors; errors/ imports nothing) and limits/ just above it. app/ is the
 *    composition root of the stores; store/ is plumbing (connections, dialects, transactions,
 *    revision, leases, migrations) and imports only errors/.
 * 3. Some edges are forbidden inside allowed directions (e.g. provision/ may use http/'s endpoint
 *    paths, but not its routes).
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  store: ['errors'],
  errors: [],
  limits: ['internal', 'errors'],
  internal: ['store', 'errors'],
  tokens: ['internal', 'store', 'errors'],
  keys: ['tokens', 'internal', 'store', 'errors'],
  clients: ['tokens', 'internal', 'store', 'errors'],
  revocations: ['tokens', 'internal', 'store', 'errors'],
  audit: ['clients', 'internal', 'store', 'errors'],
  app: ['audit', 'clients', 'keys', 'revocations', 'tokens', 'internal', 'store', 'errors'],
  grants: ['app', 'clients', 'keys', 'tokens', 'errors', 'internal', 'store'],
  metrics: ['app', 'audit', 'keys', 'errors', 'internal', 'store'],
  admin: [
    'app',
    'audit',
    'clients',
    'keys',
    'revocations',
    'tokens',
    'errors',
    'internal',
    'store',
  ],
  http: [
    'admin',
    'metrics',
    'grants',
    'app',
    'audit',
    'clients',
    'keys',
    'limits',
    'revocations',
    'tokens',
    'errors',
    'internal',
    'store',
  ],
  provision: ['http', 'app', 'clients', 'keys', 'tokens', 'internal', 'store', 'errors'],
  passport: ['provision', 'app', 'clients', 'tokens', 'internal', 'store', 'errors'],
  cli: [
    'passport',
    'provision',
    'http',
    'admin',
    'metrics',
    'grants',
    'app',
    'audit',
    'clients',
    'keys',
    'limits',
    'revocations',
    'tokens',
    'errors',
    'internal',
    'store',
  ],
};

/** Edges refused even where the folders may depend: [from folder, forbidden path prefix, why]. */
const FORBIDDEN: readonly (readonly [string, string, string])[] = [
  ['provision', 'http/routes/', 'provision/ uses http/endpoint-paths.ts, not the routes'],
];

/**
 * The folder that owns each table: only it queries the table (migrations and the Kysely schema
 * type in store/ name them all). Another folder that needs the data asks the owner, wired by the
 * composition root (e.g. the key store gets the clients' longest TTL from clients/).
 */
const TABLE_OWNERS: Readonly<Record<string, string>> = {
  m2m_store_state: 'store',
  m2m_leases: 'store',
  m2m_clients: 'clients',
  m2m_client_secrets: 'clients',
  m2m_client_keys: 'clients',
  m2m_trusted_issuers: 'clients',
  m2m_federated_subjects: 'clients',
  m2m_assertion_jtis: 'clients',
  m2m_signing_keys: 'keys',
  m2m_audit_events: 'audit',
  m2m_revoked_tokens: 'revocations',
};

/** Files allowed to name every table: the migrations and the schema type. */
const SCHEMA_FILES = /^store\/(migrations\/|internal\/database\.ts$)/;

/** Every file of packages/server/src that names a table its folder does not own, one line each. */
function tableViolations(files: ReadonlyMap<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, text] of files) {
    if (SCHEMA_FILES.test(file)) continue;
    for (const [, table] of text.matchAll(/['"`](m2m_[a-z_]+)['"`. ]/g)) {
      const owner = table === undefined ? undefined : TABLE_OWNERS[table];
      if (owner !== undefined && owner !== folderOf(file)) {
        violations.push(`${file} queries ${table}, a table of ${owner}/`);
      }
    }
  }
  return [...new Set(violations)].sort();
}

/** File cycles tolerated, each listed as its sorted files: none. */
const ALLOWED_CYCLES: readonly string[] = [];

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** `src/` of a package as a map from path (relative to src/) to source text. */
function readSources(pkg: string): Map<string, string> {
  const src = join(root, 'packages', pkg, 'src');
  const files = new Map<string, string>();
  for (const entry of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith('.ts')) files.set(entry, readFileSync(join(src, entry), 'utf8'));
  }
  return files;
}

/** Relative imports (static, `export … from`, dynamic `import()`) of each file, resolved to files. */
function importGraph(files: ReadonlyMap<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of files) {
    const targets: string[] = [];
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      targets.push(normalize(join(dirname(file), fileName)).replace(/\.js$/, '.ts'));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components of more than one file (or a file importing itself), sorted. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) {
        cycles.push(component.sort());
      }
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) visit(node);
  return cycles.sort((a, b) => a.join().localeCompare(b.join()));
}

/** The top-level folder of a path in src/ (`(root)` for a file directly in src/). */
function folderOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : '(root)';
}

/** Every import of packages/server/src that breaks {@link ALLOWED} or {@link FORBIDDEN}, one line each. */
function layerViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const violations: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    for (const target of targets) {
      const to = folderOf(target);
      if (from === to || from === '(root)') continue;
      const allowed = ALLOWED[from];
      if (allowed === undefined) {
        violations.push(`${file}: folder ${from}/ has no row in the layer table`);
      } else if (!allowed.includes(to)) {
        violations.push(`${file} imports ${target}: ${from}/ may not import ${to}/`);
      }
      for (const [fromFolder, prefix, why] of FORBIDDEN) {
        if (from === fromFolder && target.startsWith(prefix)) {
          violations.push(`${file} imports ${target}: ${why}`);
        }
      }
    }
  }
  return violations.sort();
}

const PACKAGES = ['server', 'verifier', 'client'] as const;

describe('architecture', () => {
  it('has no import cycle between files in any package, apart from the listed ones', () => {
    const found: string[] = [];
    for (const pkg of PACKAGES) {
      for (const cycle of findCycles(importGraph(readSources(pkg)))) {
        found.push(`${pkg}:${cycle.join(',')}`);
      }
    }
    expect(found.filter((cycle) => !ALLOWED_CYCLES.includes(cycle))).toEqual([]);
  });

  it('keeps the folders of packages/server/src in the directions the layer table allows', () => {
    expect(layerViolations(importGraph(readSources('server')))).toEqual([]);
  });

  it('queries each table only from the folder that owns it', () => {
    expect(tableViolations(readSources('server'))).toEqual([]);
  });

  it('rejects a key store that reads the clients table', () => {
    const files = new Map([
      ['keys/kysely-key-store.ts', "await trx.selectFrom('m2m_clients').select('token_ttl_sec')"],
      ['clients/max-client-token-ttl.ts', "await trx.selectFrom('m2m_clients')"],
    ]);
    expect(tableViolations(files)).toEqual([
      'keys/kysely-key-store.ts queries m2m_clients, a table of clients/',
    ]);
  });

  it('has a layer table without a cycle between folders, naming every folder of src/', () => {
    const folderGraph = new Map(Object.entries(ALLOWED));
    expect(findCycles(folderGraph)).toEqual([]);
    const folders = new Set([...readSources('server').keys()].map(folderOf));
    folders.delete('(root)');
    expect([...folders].filter((folder) => ALLOWED[folder] === undefined)).toEqual([]);
  });

  it('rejects a store/ file that imports clients/ and a provision/ file that imports an http route', () => {
    const graph = importGraph(
      new Map([
        [
          'store/open-something.ts',
          "import type { ClientStore } from '../clients/client-store.js';",
        ],
        ['clients/client-store.ts', 'export interface ClientStore {}'],
        ['provision/resolve.ts', "import { TOKEN_PATH } from '../http/routes/token-route.js';"],
        ['http/routes/token-route.ts', "export const TOKEN_PATH = '/oauth/token';"],
        ['keys/a.ts', "export { b } from '../clients/b.js';"],
        ['clients/b.ts', "export const b = await import('../keys/a.js');"],
      ]),
    );
    expect(layerViolations(graph)).toEqual([
      'clients/b.ts imports keys/a.ts: clients/ may not import keys/',
      'keys/a.ts imports clients/b.ts: keys/ may not import clients/',
      'provision/resolve.ts imports http/routes/token-route.ts: provision/ uses http/endpoint-paths.ts, not the routes',
      'store/open-something.ts imports clients/client-store.ts: store/ may not import clients/',
    ]);
    expect(findCycles(graph)).toEqual([['clients/b.ts', 'keys/a.ts']]);
  });
});
