import type { Store } from '../app/store.js';
import type {
  ClientImportOutcome,
  ClientSecretHash,
  ImportedClient,
} from '../clients/client-store.js';
import { hashClientSecret } from '../clients/hash-client-secret.js';
import { parseLegacySecretHash } from '../clients/legacy-secret-hash.js';
import { validateClientName } from '../clients/validate-client-fields.js';
import type { Manifest, ManifestService } from '../provision/parse-manifest.js';
import { StoreError } from '../store/store-error.js';
import type { AccessTokenFormat } from '../tokens/token-types.js';
import { PassportImportError } from './passport-import-error.js';
import {
  type PassportClientRow,
  type PassportVersion,
  readPassportClients,
} from './read-passport-clients.js';

/** Options of {@link importPassportClients}. */
export interface PassportImportOptions {
  /** The Laravel database: `mysql://…`, `mariadb://…`, `postgres://…` or `sqlite:<path>`. */
  from: string;
  /**
   * Services manifest: a service named like a Passport client, or naming one with
   * `passport_client: <id or name>`, gives that client its name, audiences (`calls`), scopes and
   * token lifetime.
   */
  manifest?: Manifest;
  /** Audiences of clients the manifest does not cover. Default none. */
  audiences?: string[];
  /** Scopes of clients the manifest does not cover. Default none. */
  scopes?: string[];
  /** New names by Passport id or name, for clients whose Passport name is not a valid name. */
  names?: Record<string, string>;
  /** Token shape of new clients; default `passport` (unchanged receivers keep working). */
  tokenFormat?: AccessTokenFormat;
  /** Compute and return the plan; write nothing. */
  dryRun?: boolean;
}

/** How a machine client's secret comes in. */
export type ImportedSecretKind =
  | 'plain, hashed on import'
  | 'bcrypt, kept'
  | 'argon2id, kept'
  | 'none (revoked)';

/** One row of the plan (or of what was done). */
export type PassportImportEntry =
  | {
      passportId: string;
      passportName: string;
      action: ClientImportOutcome['action'];
      /** The m2m-auth client (client_id = the Passport id). */
      clientId: string;
      name: string;
      audiences: string[];
      scopes: string[];
      revoked: boolean;
      secret: ImportedSecretKind;
      /** Fields an `update` changes. */
      changed: string[];
    }
  | { passportId: string; passportName: string; action: 'skip'; reason: string };

/** What {@link importPassportClients} did (or, with `dryRun`, would do). */
export interface PassportImportReport {
  version: PassportVersion;
  dryRun: boolean;
  entries: PassportImportEntry[];
}

/**
 * Adopts Laravel Passport's machine clients (client_credentials) as m2m-auth clients, keeping
 * their ids and secrets: callers' `OAUTH_CLIENT_ID` / `OAUTH_CLIENT_SECRET` keep working.
 *
 * Machine clients: on 13.x, rows whose `grant_types` contain `client_credentials`; on 10.x–12.x,
 * rows with a secret that are neither personal-access nor password clients. Other rows are
 * reported as skipped with the reason. Revoked rows come in revoked. Plain secrets (10.x–12.x
 * without `hashClientSecrets()`) are hashed now; bcrypt and argon2id hashes are kept and replaced
 * at each client's first successful authentication.
 *
 * Every problem is found before anything is written; the clients are then written in one
 * transaction. Running it again changes nothing (existing clients keep their secrets).
 *
 * @throws {PassportImportError} any code (before any write).
 * @throws {StoreError} `ERR_CLIENT_NAME_TAKEN` when a name belongs to another client_id, and the
 *   store's validation codes; nothing is written.
 */
export async function importPassportClients(
  store: Store,
  options: PassportImportOptions,
): Promise<PassportImportReport> {
  const { version, rows } = await readPassportClients(options.from);
  const manifestServices = options.manifest?.services ?? [];
  const names = options.names ?? {};
  checkReferences(rows, manifestServices, names);

  const problems: string[] = [];
  const planned: { row: PassportClientRow; client: ImportedClient; secret: ImportedSecretKind }[] =
    [];
  const skipped: PassportImportEntry[] = [];
  for (const row of rows) {
    const reason = skipReason(row, version);
    if (reason !== undefined) {
      skipped.push({ passportId: row.id, passportName: row.name, action: 'skip', reason });
      continue;
    }
    const service = serviceFor(row, manifestServices);
    const name = service?.name ?? names[row.id] ?? names[row.name] ?? row.name;
    try {
      validateClientName(name);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      problems.push(
        `Passport client ${row.id} is named ${JSON.stringify(name)}, which is not a valid m2m-auth client name (1-64 letters, digits, ".", "_" or "-", starting with a letter or digit). Name it: add "passport_client: ${jsonId(row.id)}" to its service in the manifest, or pass --name ${row.id}=<new-name>`,
      );
      continue;
    }
    const secret = row.revoked ? null : secretOf(row, version, problems);
    if (!row.revoked && secret === undefined) continue;
    const audiences = service
      ? service.calls.map((c) => c.service)
      : [...(options.audiences ?? [])];
    const scopes = service
      ? [...new Set(service.calls.flatMap((c) => c.scopes))]
      : [...(options.scopes ?? [])];
    planned.push({
      row,
      client: {
        clientId: row.id,
        name,
        audiences,
        scopes,
        ...(service?.tokenTtlSec !== undefined ? { tokenTtlSec: service.tokenTtlSec } : {}),
        tokenFormat: options.tokenFormat ?? 'passport',
        revoked: row.revoked,
        secret: secret ?? null,
      },
      secret: row.revoked ? 'none (revoked)' : secretKind(secret ?? null),
    });
  }
  if (problems.length > 0) {
    const code = problems.some((p) => p.includes('not a valid m2m-auth client name'))
      ? 'ERR_CLIENT_NAME_INVALID'
      : 'ERR_CLIENT_SECRET_UNUSABLE';
    throw new PassportImportError(
      code,
      `nothing imported: ${problems.length} Passport client(s) need attention: ${problems.join('; ')}`,
    );
  }

  const outcomes = await store.clients.importClients(
    planned.map((p) => p.client),
    { dryRun: options.dryRun === true },
  );
  const entries: PassportImportEntry[] = planned.map((p, i) => {
    const outcome = outcomes[i]!;
    return {
      passportId: p.row.id,
      passportName: p.row.name,
      action: outcome.action,
      clientId: p.client.clientId,
      name: p.client.name,
      audiences: p.client.audiences,
      scopes: p.client.scopes,
      revoked: p.client.revoked,
      secret: p.secret,
      changed: outcome.changed,
    };
  });
  return { version, dryRun: options.dryRun === true, entries: [...entries, ...skipped] };
}

/** Why a row is not a machine client, or undefined when it is one. */
function skipReason(row: PassportClientRow, version: PassportVersion): string | undefined {
  if (version === '13') {
    if (row.grantTypes === null) return 'grant_types is not a JSON list';
    if (!row.grantTypes.includes('client_credentials')) {
      return `not a machine client: grant_types ${JSON.stringify(row.grantTypes)} has no client_credentials`;
    }
    if (row.secret === null) return 'public client: no secret';
    return undefined;
  }
  if (row.personalAccessClient) return 'personal access client (issues user tokens)';
  if (row.passwordClient) return 'password grant client (issues user tokens)';
  if (row.secret === null) return 'public client: no secret';
  return undefined;
}

/** The hash to store, or undefined (with a problem noted) when the secret cannot be used. */
function secretOf(
  row: PassportClientRow,
  version: PassportVersion,
  problems: string[],
): ClientSecretHash | undefined {
  const secret = row.secret ?? '';
  if (secret.startsWith('$')) {
    const legacy = parseLegacySecretHash(secret);
    if (legacy !== undefined) return legacy;
  } else if (version === '10-12') {
    return hashClientSecret(secret);
  }
  problems.push(
    `Passport client ${row.id} (${row.name}): its secret is neither a bcrypt nor an argon2id hash${version === '13' ? ' (Passport 13 stores hashes only)' : ''}; rotate it in Passport, or import it with m2m-auth client create and give the caller the new secret`,
  );
  return undefined;
}

function secretKind(secret: ClientSecretHash | null): ImportedSecretKind {
  if (secret === null) return 'none (revoked)';
  if (secret.scheme === 'bcrypt') return 'bcrypt, kept';
  if (secret.scheme === 'argon2id') return 'argon2id, kept';
  return 'plain, hashed on import';
}

/** The manifest service adopting this client: by `passport_client`, else by the same name. */
function serviceFor(
  row: PassportClientRow,
  services: readonly ManifestService[],
): ManifestService | undefined {
  const named = services.find(
    (s) =>
      s.passportClient !== undefined &&
      (s.passportClient === row.id || s.passportClient === row.name),
  );
  if (named !== undefined) return named;
  return services.find((s) => s.passportClient === undefined && s.name === row.name);
}

/** Every manifest `passport_client` and `--name` must name a row. */
function checkReferences(
  rows: readonly PassportClientRow[],
  services: readonly ManifestService[],
  names: Record<string, string>,
): void {
  const known = (ref: string) => rows.some((r) => r.id === ref || r.name === ref);
  const missing = [
    ...services
      .filter((s) => s.passportClient !== undefined && !known(s.passportClient))
      .map((s) => `service ${s.name}: passport_client ${JSON.stringify(s.passportClient)}`),
    ...Object.keys(names)
      .filter((ref) => !known(ref))
      .map((ref) => `--name ${ref}=…`),
  ];
  if (missing.length > 0) {
    throw new PassportImportError(
      'ERR_MANIFEST_REFERENCE',
      `no Passport client has this id or name: ${missing.join('; ')}`,
    );
  }
}

function jsonId(id: string): string {
  return /^\d+$/.test(id) ? id : JSON.stringify(id);
}
