import type { ClientRecord } from '../clients/client-store.js';
import type { Manifest } from './parse-manifest.js';
import { ProvisionError } from './provision-error.js';

/** A change to one field of an existing client. */
export type ClientFieldChange =
  | { field: 'scopes' | 'audiences'; added: string[]; removed: string[] }
  | { field: 'tokenTtlSec'; from: number; to: number };

/**
 * Where the secret written to a caller's `.env` comes from:
 * `new` (client created or secret rotated), `env-file` (the one already in its `.env`, still matching
 * the client_id), `unknown` (the client exists, its `.env` is missing or stale, and secrets are stored
 * hashed: only `--rotate-secrets` can produce one).
 */
export type SecretSource = 'new' | 'env-file' | 'unknown';

/** What provisioning does with the client of a calling service. */
export interface PlannedClient {
  name: string;
  action: 'create' | 'update' | 'unchanged';
  /** The existing client's client_id; undefined until a new one is created. */
  clientId: string | undefined;
  /** Desired scopes: the union of the scopes it may use at the services it calls, sorted. */
  scopes: string[];
  /** Desired audiences: the services it calls, sorted. */
  audiences: string[];
  /** Desired token lifetime, seconds, when the manifest sets one. */
  tokenTtlSec: number | undefined;
  changes: ClientFieldChange[];
  /** True when an existing client's secret is rotated (`--rotate-secrets`). */
  rotateSecret: boolean;
  secret: SecretSource;
  /** How the client authenticates; a new credential of a private_key_jwt client is a key pair. */
  clientAuth: 'client_secret' | 'private_key_jwt';
  /**
   * For a `create` under `replaceRevoked`: the client_id of the revoked client that holds the name
   * and is renamed, in the same transaction, to make room for the new one.
   */
  replaces?: string;
}

/** An active client that the manifest does not describe. */
export interface UnlistedClient {
  name: string;
  clientId: string;
  /** `revoke` under `--prune`; `keep` when the manifest's `keep` names it; else `leave`. */
  action: 'revoke' | 'keep' | 'leave';
}

/** Everything provisioning would change in the store, computed before anything is changed. */
export interface ProvisionPlan {
  /** True when there is no active signing key, so one is generated. */
  generateKey: boolean;
  /** One entry per calling service, in manifest order. */
  clients: PlannedClient[];
  /** Active clients not described by the manifest, by name. */
  unlisted: UnlistedClient[];
  /** Number of store changes (key, creates, updates, rotations, revocations); 0 means a no-op. */
  storeChanges: number;
}

/** What {@link computeProvisionPlan} needs to know about the present. */
export interface ProvisionState {
  /** Every client of the store (revoked ones included). */
  clients: readonly ClientRecord[];
  hasActiveKey: boolean;
  /** Credentials found in the existing `.env` files, by service name. */
  envCredentials: ReadonlyMap<
    string,
    { clientId: string; clientSecret: string; privateKeyPath?: string }
  >;
  /** Names of the existing clients that authenticate with private_key_jwt (the others: a secret). */
  keyClients?: ReadonlySet<string>;
}

/** Options of {@link computeProvisionPlan}. */
export interface PlanOptions {
  /** Revoke active clients the manifest does not describe (except `keep`); default false. */
  prune?: boolean;
  /** Rotate the secrets of existing clients: all (`true`) or those named; default false. */
  rotateSecrets?: boolean | readonly string[];
  /**
   * Calling services whose client was revoked (e.g. after a compromise) and gets a new one with the
   * same name, audiences and scopes: new client_id, new secret. The revoked client is kept under
   * another name (see `CreateClientOptions.replacingRevoked`). Default none.
   */
  replaceRevoked?: readonly string[];
}

/**
 * The checks of {@link PlanOptions} that need only the manifest: `rotateSecrets` and
 * `replaceRevoked` must name calling services of it. Run before the store is opened.
 *
 * @throws {ProvisionError} `ERR_PROVISION_CONFLICT` naming the services that are not calling services.
 */
export function checkPlanOptions(manifest: Manifest, options: PlanOptions = {}): void {
  const callerNames = new Set(
    manifest.services.filter((s) => s.calls.length > 0).map((s) => s.name),
  );
  const strangers = (names: readonly string[]) => names.filter((n) => !callerNames.has(n));
  const them = (list: string[]) => (list.length === 1 ? 'it has' : 'they have');
  const rotate = options.rotateSecrets ?? false;
  if (Array.isArray(rotate)) {
    const unknown = strangers(rotate);
    if (unknown.length > 0) {
      throw new ProvisionError(
        'ERR_PROVISION_CONFLICT',
        `cannot rotate the secret of ${unknown.join(', ')}: not a calling service of ${manifest.source}, so ${them(unknown)} no client`,
      );
    }
  }
  const unknown = strangers(options.replaceRevoked ?? []);
  if (unknown.length > 0) {
    throw new ProvisionError(
      'ERR_PROVISION_CONFLICT',
      `cannot replace the client of ${unknown.join(', ')}: not a calling service of ${manifest.source}, so ${them(unknown)} no client`,
    );
  }
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

function setChange(
  field: 'scopes' | 'audiences',
  current: readonly string[],
  desired: readonly string[],
): ClientFieldChange | undefined {
  const added = desired.filter((v) => !current.includes(v));
  const removed = current.filter((v) => !desired.includes(v)).sort();
  return added.length || removed.length ? { field, added, removed } : undefined;
}

/**
 * Compares a manifest with the store and says what provisioning must do: which clients to create,
 * update, rotate or revoke, and whether to generate a signing key. Pure: changes nothing.
 * A calling service's client is named after the service; its audiences are the services it calls
 * (RFC 8707) and its scopes the union of the scopes it may use there (RFC 6749 §3.3).
 *
 * @param manifest - A manifest from `parseManifest`.
 * @param state - The store's clients, whether a key is active, the credentials in the `.env` files.
 * @param options - `prune`, `rotateSecrets`, `replaceRevoked`.
 * @throws {ProvisionError} `ERR_PROVISION_CONFLICT` when a calling service's client was revoked and
 *   `replaceRevoked` does not name it (a revoked client stays revoked; the message names the flag),
 *   when `replaceRevoked` names a client that is not revoked, or when `rotateSecrets` /
 *   `replaceRevoked` name a service that calls nothing.
 * @example
 * ```ts
 * const plan = computeProvisionPlan(manifest, { clients: await store.clients.list(), hasActiveKey: true, envCredentials: new Map() });
 * plan.clients.filter((c) => c.action === 'create').map((c) => c.name);
 * ```
 */
export function computeProvisionPlan(
  manifest: Manifest,
  state: ProvisionState,
  options: PlanOptions = {},
): ProvisionPlan {
  const byName = new Map(state.clients.map((c) => [c.name, c]));
  const callers = manifest.services.filter((s) => s.calls.length > 0);
  const callerNames = new Set(callers.map((s) => s.name));

  checkPlanOptions(manifest, options);
  const rotate = options.rotateSecrets ?? false;
  const rotates = (name: string): boolean =>
    rotate === true || (Array.isArray(rotate) && rotate.includes(name));

  const replace = new Set(options.replaceRevoked ?? []);
  const notRevoked = [...replace].filter((name) => byName.get(name)?.revokedAt == null);
  if (notRevoked.length > 0) {
    // Replacing is for a client already revoked: an active one is revoked first, on purpose.
    const describe = (name: string) => {
      const client = byName.get(name);
      return client === undefined
        ? `${name} has no client yet (provisioning creates one without --replace-revoked)`
        : `${name}'s client ${client.clientId} is not revoked (revoke it first: m2m-auth client revoke ${name})`;
    };
    throw new ProvisionError(
      'ERR_PROVISION_CONFLICT',
      `--replace-revoked replaces only a revoked client: ${notRevoked.map(describe).join('; ')}`,
    );
  }
  const revokedCallers = callers.filter(
    (s) => byName.get(s.name)?.revokedAt != null && !replace.has(s.name),
  );
  if (revokedCallers.length > 0) {
    const names = revokedCallers.map((s) => s.name);
    const flags = names.map((n) => `--replace-revoked ${n}`).join(' ');
    throw new ProvisionError(
      'ERR_PROVISION_CONFLICT',
      `client ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} revoked and cannot be reactivated; nothing was changed. To give ${names.length === 1 ? 'it' : 'them'} a new client with the same name, audiences and scopes (new client_id and secret; the revoked client is kept under another name, so its tokens stay refused), re-run: m2m-auth provision ${manifest.source} ${flags} (with the same --database and --env-dir)`,
    );
  }

  const clients = callers.map((service): PlannedClient => {
    const audiences = sorted(service.calls.map((c) => c.service));
    const scopes = sorted(service.calls.flatMap((c) => c.scopes));
    const existing = byName.get(service.name);
    if (existing === undefined || existing.revokedAt !== null) {
      return {
        ...(existing === undefined ? {} : { replaces: existing.clientId }),
        name: service.name,
        action: 'create',
        clientId: undefined,
        scopes,
        audiences,
        tokenTtlSec: service.tokenTtlSec,
        changes: [],
        rotateSecret: false,
        secret: 'new',
        clientAuth: service.clientAuth,
      };
    }
    const changes = [
      setChange('scopes', existing.scopes, scopes),
      setChange('audiences', existing.audiences, audiences),
    ].filter((c) => c !== undefined);
    if (service.tokenTtlSec !== undefined && service.tokenTtlSec !== existing.tokenTtlSec) {
      changes.push({ field: 'tokenTtlSec', from: existing.tokenTtlSec, to: service.tokenTtlSec });
    }
    // Changing how a client authenticates issues its new credential (a secret, or a key pair).
    const switching =
      (state.keyClients?.has(service.name) ?? false) !== (service.clientAuth === 'private_key_jwt');
    const rotateSecret = rotates(service.name) || switching;
    const inEnv = state.envCredentials.get(service.name);
    const secret: SecretSource = rotateSecret
      ? 'new'
      : inEnv?.clientId === existing.clientId &&
          (inEnv.clientSecret !== '' || inEnv.privateKeyPath !== undefined)
        ? 'env-file'
        : 'unknown';
    return {
      name: service.name,
      action: changes.length > 0 ? 'update' : 'unchanged',
      clientId: existing.clientId,
      scopes,
      audiences,
      tokenTtlSec: service.tokenTtlSec ?? existing.tokenTtlSec,
      changes,
      rotateSecret,
      secret,
      clientAuth: service.clientAuth,
    };
  });

  const keep = new Set(manifest.keep);
  const unlisted = state.clients
    .filter((c) => c.revokedAt == null && !callerNames.has(c.name))
    .map(
      (c): UnlistedClient => ({
        name: c.name,
        clientId: c.clientId,
        action: keep.has(c.name) ? 'keep' : options.prune ? 'revoke' : 'leave',
      }),
    )
    .sort((a, b) => a.name.localeCompare(b.name));

  const storeChanges =
    (state.hasActiveKey ? 0 : 1) +
    clients.filter((c) => c.action !== 'unchanged').length +
    clients.filter((c) => c.rotateSecret).length +
    unlisted.filter((c) => c.action === 'revoke').length;

  return { generateKey: !state.hasActiveKey, clients, unlisted, storeChanges };
}
