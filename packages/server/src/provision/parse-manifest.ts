import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { checkManifest, type PathProblem } from './internal/check-manifest.js';
import { findDuplicateKeys, positionOf } from './internal/yaml-positions.js';
import { type ManifestInput, manifestSchema } from './manifest-schema.js';
import { type ManifestProblem, ProvisionError } from './provision-error.js';

/** A service of a parsed manifest. */
export interface ManifestService {
  name: string;
  description: string | undefined;
  /** Scopes it accepts as a resource server (empty: it receives no calls). */
  scopes: string[];
  /** Services it calls as a client, in manifest order, each with the scopes it may use there. */
  calls: { service: string; scopes: string[] }[];
  /** Its client's access-token lifetime, seconds, when the manifest sets one (service or default). */
  tokenTtlSec: number | undefined;
  /** The Laravel Passport client (id or name, as text) it adopts on `import passport`. */
  passportClient?: string;
  /** How its client authenticates (service setting, else the manifest's, else `client_secret`). */
  clientAuth: 'client_secret' | 'private_key_jwt';
}

/** A validated manifest: every name resolves, every scope is declared by its receiver. */
export interface Manifest {
  /** Where it came from (for messages). */
  source: string;
  authUrl: string | undefined;
  issuer: string | undefined;
  jwksUrl: string | undefined;
  /** Client names `--prune` leaves alone. */
  keep: string[];
  /** In manifest order. */
  services: ManifestService[];
}

const TOP_LEVEL_KEYS = Object.keys(manifestSchema.shape);
const EXPECTED_NAMES: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
};

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      // Our own messages (e.g. from `.int(…)`) are already readable; rephrase zod's generic ones.
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      const received = /received (\w+)/.exec(issue.message)?.[1];
      if (received === 'undefined') return 'is required';
      const expected = EXPECTED_NAMES[issue.expected] ?? `a ${issue.expected}`;
      return `must be ${expected}${received ? `, not ${received}` : ''}`;
    }
    case 'invalid_key':
      return issue.issues[0]?.message ?? issue.message;
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    default:
      return issue.message;
  }
}

function issueToProblems(issue: z.core.$ZodIssue): PathProblem[] {
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys') {
    const allowed =
      path.length === 0
        ? TOP_LEVEL_KEYS
        : path.length === 2 && path[0] === 'services'
          ? ['description', 'scopes', 'calls', 'token_ttl_sec', 'passport_client', 'client_auth']
          : [];
    return issue.keys.map((key) => ({
      path: [...path, key],
      atKey: true,
      message: `unknown key "${key}"${allowed.length ? ` (expected one of: ${allowed.join(', ')})` : ''}`,
    }));
  }
  return [{ path, atKey: issue.code === 'invalid_key', message: describeIssue(issue) }];
}

function toManifest(input: ManifestInput, source: string): Manifest {
  const defaultTtl = input.token_ttl_sec;
  return {
    source,
    authUrl: input.auth_url,
    issuer: input.issuer,
    jwksUrl: input.jwks_url,
    keep: input.keep ?? [],
    services: Object.entries(input.services).map(([name, s]) => ({
      name,
      description: s.description,
      scopes: s.scopes ?? [],
      calls: Object.entries(s.calls ?? {}).map(([service, scopes]) => ({ service, scopes })),
      tokenTtlSec: s.token_ttl_sec ?? defaultTtl,
      ...(s.passport_client === undefined ? {} : { passportClient: String(s.passport_client) }),
      clientAuth: s.client_auth ?? input.client_auth ?? 'client_secret',
    })),
  };
}

/**
 * Parses and validates a provisioning manifest (YAML 1.2, or JSON, which YAML reads too).
 *
 * @param text - The manifest's content.
 * @param source - Its file name, used in messages (default `manifest`).
 * @returns The manifest, with every cross-reference checked.
 * @throws {ProvisionError} `ERR_MANIFEST_SYNTAX` when the text is not well-formed (message has
 *   `source:line:col`), `ERR_MANIFEST_INVALID` listing every problem with its line (unknown service,
 *   scope not declared by the receiver, duplicate name, unknown key, wrong type).
 * @example
 * ```ts
 * const manifest = parseManifest(await readFile('services.yaml', 'utf8'), 'services.yaml');
 * manifest.services.map((s) => s.name); // ['ms_admin', 'ms_doctor', …]
 * ```
 */
export function parseManifest(text: string, source = 'manifest'): Manifest {
  const lineCounter = new LineCounter();
  // Duplicate keys are found by findDuplicateKeys below, which can name them with their path.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems: ManifestProblem[] = doc.errors.map((e) => ({
      path: '',
      message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      line: e.linePos?.[0].line ?? 0,
      col: e.linePos?.[0].col ?? 0,
    }));
    const lines = problems.map((p) => `${source}:${p.line}:${p.col}: ${p.message}`);
    throw new ProvisionError(
      'ERR_MANIFEST_SYNTAX',
      `${source} is not valid YAML/JSON:\n${lines.join('\n')}`,
      {
        problems,
      },
    );
  }

  const located: ManifestProblem[] = findDuplicateKeys(doc, lineCounter).map((d) => ({
    path: d.path.join('.'),
    message: `duplicate ${d.path.length === 2 && d.path[0] === 'services' ? 'service name' : 'key'} "${d.path.at(-1)}" (first at line ${d.first.line})`,
    line: d.position.line,
    col: d.position.col,
  }));
  const locate = (p: PathProblem): ManifestProblem => ({
    path: p.path.join('.'),
    message: p.message,
    ...positionOf(doc, lineCounter, p.path, p.atKey),
  });

  let input: ManifestInput | undefined;
  if (located.length === 0) {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) {
      throw new ProvisionError('ERR_MANIFEST_INVALID', `${source} is empty: it must list services`);
    }
    const parsed = manifestSchema.safeParse(value);
    if (parsed.success) {
      input = parsed.data;
      located.push(...checkManifest(input).map(locate));
    } else {
      located.push(...parsed.error.issues.flatMap(issueToProblems).map(locate));
    }
  }
  if (located.length > 0 || input === undefined) {
    located.sort((a, b) => a.line - b.line || a.col - b.col);
    const lines = located.map(
      (p) => `${source}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
    );
    const count = located.length === 1 ? '1 problem' : `${located.length} problems`;
    throw new ProvisionError(
      'ERR_MANIFEST_INVALID',
      `${source} is invalid (${count}):\n${lines.join('\n')}`,
      {
        problems: located,
      },
    );
  }
  return toManifest(input, source);
}
