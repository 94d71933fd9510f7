import { readFile } from 'node:fs/promises';
import type { VerifierLogger } from '../types.js';
import { fetchJwks } from './fetch-jwks.js';
import {
  importPem,
  importSelectedJwk,
  inspectPem,
  type KeyRecord,
  type PemKey,
  selectJwk,
} from './import-keys.js';

/** Most JWK Set entries considered; the rest are ignored. */
export const MAX_JWKS_KEYS = 100;

/** The outcome of one load. */
export interface LoadedKeys {
  /** The new key set, or `undefined` when the source is unchanged since the last load. */
  readonly records: readonly KeyRecord[] | undefined;
  /** How long the source says its keys may be reused, seconds (JWKS `Cache-Control`). */
  readonly maxAgeSec?: number | undefined;
}

/** Where keys come from. */
export interface KeyLoader {
  /** Names the source in log lines (never a secret). */
  readonly source: string;
  /** Whether the source can change (false for PEM text given in the options). */
  readonly refreshable: boolean;
  /**
   * Loads the keys.
   * @throws Error when the source cannot be read; the caller keeps the keys it has.
   */
  load(): Promise<LoadedKeys>;
}

/** Keys from PEM text given in the options: loaded once, never refreshed. */
export function createStaticPemLoader(key: PemKey): KeyLoader {
  return {
    source: 'publicKey option',
    refreshable: false,
    load: async () => ({ records: await importPem(key) }),
  };
}

/**
 * Keys from a file holding either a PEM public key (as `m2m-auth keys export-public` or Passport's
 * `oauth-public.key`) or a JWK Set (`m2m-auth keys export-public --all`). The file is re-read on
 * each load and only re-imported when its content changed.
 */
export function createKeyFileLoader(
  path: string,
  algorithms: ReadonlySet<string> | undefined,
  defaultAlgorithms: ReadonlySet<string>,
  logger: VerifierLogger | undefined,
): KeyLoader {
  let lastText: string | undefined;
  const source = `key file ${path}`;
  return {
    source,
    refreshable: true,
    async load() {
      const text = await readFile(path, 'utf8');
      if (text === lastText) return { records: undefined };
      const records = await importKeyFileText(text, source, algorithms, defaultAlgorithms, logger);
      lastText = text;
      return { records };
    },
  };
}

/** A key file's content: a PEM public key, or a parsed JSON document (expected: a JWK Set). */
export type KeyFileContent = { readonly pem: PemKey } | { readonly json: unknown };

/**
 * Reads a key file's text: PEM when it starts with `-----BEGIN`, JSON otherwise. Synchronous, so
 * the same check runs at construction and on every reload.
 *
 * @throws TypeError for an unusable PEM key or text that is neither PEM nor JSON.
 */
export function parseKeyFileText(
  text: string,
  label: string,
  algorithms: ReadonlySet<string> | undefined,
): KeyFileContent {
  if (text.trimStart().startsWith('-----BEGIN')) {
    return { pem: inspectPem(text, algorithms, label) };
  }
  try {
    return { json: JSON.parse(text) };
  } catch (cause) {
    throw new TypeError(`${label} is neither a PEM public key nor a JSON JWK Set`, { cause });
  }
}

/**
 * Parses and imports a key file's content.
 *
 * @throws TypeError (unusable content), Error (a JSON document that is not a JWK Set).
 */
export async function importKeyFileText(
  text: string,
  source: string,
  algorithms: ReadonlySet<string> | undefined,
  defaultAlgorithms: ReadonlySet<string>,
  logger: VerifierLogger | undefined,
): Promise<KeyRecord[]> {
  const content = parseKeyFileText(text, source, algorithms);
  if ('pem' in content) return importPem(content.pem);
  return importJwkSet(content.json, algorithms ?? defaultAlgorithms, source, logger);
}

/** Keys from a JWKS URL, with the response's `Cache-Control: max-age`. */
export function createRemoteJwksLoader(
  url: URL,
  timeoutMs: number,
  algorithms: ReadonlySet<string>,
  logger: VerifierLogger | undefined,
): KeyLoader {
  let lastText: string | undefined;
  const source = `JWKS ${url.href}`;
  return {
    source,
    refreshable: true,
    async load() {
      const fetched = await fetchJwks(url, timeoutMs);
      if (fetched.text === lastText) return { records: undefined, maxAgeSec: fetched.maxAgeSec };
      const records = await importJwkSet(fetched.body, algorithms, source, logger);
      lastText = fetched.text;
      return { records, maxAgeSec: fetched.maxAgeSec };
    },
  };
}

/**
 * Imports the usable entries of a JWK Set (RFC 7517 §5). Entries that are not signature
 * verification keys we trust are ignored with a log line (see `selectJwk`); so are entries jose
 * cannot import. A kid naming several different keys is logged and made ambiguous (see
 * {@link markAmbiguousKids}): tokens with it are refused.
 *
 * @throws Error when the document is not a JWK Set.
 */
export async function importJwkSet(
  body: unknown,
  algorithms: ReadonlySet<string>,
  source: string,
  logger: VerifierLogger | undefined,
): Promise<KeyRecord[]> {
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (typeof body !== 'object' || body === null || !Array.isArray(keys)) {
    throw new Error(`${source} is not a JWK Set (no keys array)`);
  }
  const records: KeyRecord[] = [];
  const seen = new Set<string>();
  for (const [index, jwk] of keys.slice(0, MAX_JWKS_KEYS).entries()) {
    const selection = selectJwk(jwk, algorithms);
    const name = describeEntry(jwk, index);
    if ('ignored' in selection) {
      logger?.warn(`@m2m-auth/verifier: ${source}: ignoring ${name}: ${selection.ignored}`);
      continue;
    }
    let imported: KeyRecord[];
    try {
      imported = await importSelectedJwk(selection);
    } catch {
      logger?.warn(`@m2m-auth/verifier: ${source}: ignoring ${name}: its key cannot be imported`);
      continue;
    }
    for (const record of imported) {
      // The same key listed twice is harmless; keep one.
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      records.push(record);
    }
  }
  const ambiguous = markAmbiguousKids(records);
  for (const kid of ambiguous) {
    logger?.warn(
      `@m2m-auth/verifier: ${source}: kid ${JSON.stringify(kid.slice(0, 80))} names several different keys; ` +
        'tokens with this kid are refused until the key set gives each key its own kid (RFC 7517 §4.5)',
    );
  }
  if (keys.length > MAX_JWKS_KEYS) {
    logger?.warn(`@m2m-auth/verifier: ${source}: only the first ${MAX_JWKS_KEYS} keys are used`);
  }
  if (records.length === 0) {
    logger?.warn(`@m2m-auth/verifier: ${source}: holds no usable verification key`);
  }
  return records;
}

/**
 * Finds kids that name more than one different key for the same algorithm, and gives those
 * records a distinct id so that a key which was trusted alone leaves the set (tokens it verified
 * leave the verified-token cache). The records stay, so `KeyStore.find` sees several candidates
 * and refuses the token as jose's key sets do (`JWKSMultipleMatchingKeys`), rather than letting
 * the first listed key win.
 *
 * @returns the ambiguous kids, once each.
 */
export function markAmbiguousKids(records: KeyRecord[]): string[] {
  const count = new Map<string, number>();
  for (const record of records) {
    if (record.kid === undefined) continue;
    const pair = `${record.kid}|${record.alg}`;
    count.set(pair, (count.get(pair) ?? 0) + 1);
  }
  const kids = new Set<string>();
  for (const [index, record] of records.entries()) {
    if (record.kid === undefined || (count.get(`${record.kid}|${record.alg}`) ?? 0) < 2) continue;
    kids.add(record.kid);
    records[index] = { ...record, id: `ambiguous|${record.id}` };
  }
  return [...kids];
}

function describeEntry(jwk: unknown, index: number): string {
  const kid = (jwk as { kid?: unknown } | null)?.kid;
  // A kid is public (it is in every token header); keep it printable and short for the log.
  return typeof kid === 'string'
    ? `key ${JSON.stringify(kid.slice(0, 80))}`
    : `key #${index} (no kid)`;
}
