import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Store } from '../app/store.js';
import type { SigningAlg } from '../tokens/token-types.js';
import { applyProvisionPlan } from './apply-provision-plan.js';
import {
  type ClientFieldChange,
  computeProvisionPlan,
  type PlannedClient,
  type PlanOptions,
  type UnlistedClient,
} from './compute-provision-plan.js';
import { findEnvSecrets } from './internal/find-env-secrets.js';
import type { Manifest } from './parse-manifest.js';
import { ProvisionError } from './provision-error.js';
import {
  type EndpointOverrides,
  type ProvisionEndpoints,
  resolveEndpoints,
} from './resolve-endpoints.js';
import { JWKS_FILE_NAME, type ReportedFile, writeEnvFiles } from './write-env-files.js';

/** Options of {@link provisionServices}. */
export interface ProvisionOptions extends EndpointOverrides, PlanOptions {
  /** Folder of the `.env` files; created (mode 0700) when missing. */
  envDir: string;
  /** Compute and report the plan; change neither the store nor any file. Default false. */
  dryRun?: boolean;
  /** Seconds a rotated secret stays accepted (`--rotate-secrets`); default 0: rejected at once. */
  secretGraceSec?: number;
  /** Algorithm of the signing key generated when none is active; default `RS256`. */
  keyAlg?: SigningAlg;
  /**
   * `OAUTH_PUBLIC_KEY_PATH` for receivers, written as given: where they find a key file that follows
   * rotation (e.g. `/srv/keys/jwks.json`, kept current by `m2m-auth serve --publish-keys /srv/keys`).
   * Default: `<envDir>/jwks.json` as `envDir` was given (relative stays relative).
   */
  publicKeyPath?: string;
}

/** Where a caller's secret in its `.env` came from, after provisioning. */
export type SecretOutcome = 'created' | 'rotated' | 'kept' | 'missing';

/** A calling service's client in a {@link ProvisionReport}. Never carries a secret. */
export interface ReportedClient {
  name: string;
  action: PlannedClient['action'];
  /** Its client_id; undefined only for a client a dry run would create. */
  clientId: string | undefined;
  scopes: string[];
  audiences: string[];
  tokenTtlSec: number | undefined;
  changes: ClientFieldChange[];
  secret: SecretOutcome;
  /**
   * Set when this client replaces a revoked one (`replaceRevoked`): the revoked client's client_id
   * and the name it now has (undefined in a dry run: chosen when the change is made).
   */
  replaced?: { clientId: string; renamedTo: string | undefined };
}

/** What provisioning did (or, in a dry run, would do). Holds no secret, token or private key. */
export interface ProvisionReport {
  manifest: string;
  dryRun: boolean;
  /** Absolute path of the env folder. */
  envDir: string;
  endpoints: ProvisionEndpoints;
  signingKey: { action: 'generate' | 'keep'; kid: string | undefined; alg: SigningAlg };
  clients: ReportedClient[];
  /** Active clients the manifest does not describe, and what was done with them. */
  unlisted: UnlistedClient[];
  files: ReportedFile[];
  /** Number of changes to the store (0: it was already as described). */
  storeChanges: number;
  /** Things that need the operator: each a readable line. */
  warnings: string[];
  /** False when a `.env` could not be written (a secret is unknown): see `warnings`. */
  complete: boolean;
}

/**
 * Makes the store and the env folder match a manifest: creates missing clients, updates changed ones,
 * leaves the rest alone (idempotent), revokes unlisted ones under `prune`, generates a signing key
 * when none is active, exports its public key (`oauth-public.key`) and writes one `.env` per service
 * (mode 0600, atomically). Everything that can be refused is checked before the first change.
 *
 * @param store - An opened store (`openStore`).
 * @param manifest - From `readManifest` / `parseManifest`.
 * @param options - `envDir` (required), `dryRun`, `prune`, `rotateSecrets`, `replaceRevoked`, `secretGraceSec` (seconds,
 *   default 0), `keyAlg` (default RS256), URL overrides `authUrl` / `issuer` / `jwksUrl`.
 * @returns The report; `complete: false` when an existing client's secret is unknown (its `.env` is
 *   missing or stale and `rotateSecrets` does not cover it), so its `.env` was not written.
 * A run that changes anything holds the store's `provision` lease throughout, so concurrent runs on
 * one database (SQLite or PostgreSQL) take turns; a dry run holds none.
 *
 * @throws {ProvisionError} `ERR_MANIFEST_INVALID` (URLs), `ERR_PROVISION_CONFLICT` (e.g. a calling
 *   service's client is revoked and `replaceRevoked` does not name it), `ERR_ENV_DIR_UNWRITABLE`
 *   before any change; `ERR_APPLY_FAILED` when the store fails midway.
 * @throws {StoreError} `ERR_LEASE_BUSY` when another run held the lease for over 120 s.
 * @example
 * ```ts
 * const store = await openStore({ databaseUrl: 'sqlite:./data/m2m-auth.db' });
 * const report = await provisionServices(store, await readManifest('services.yaml'), { envDir: './env' });
 * console.log(report.clients.map((c) => `${c.name}: ${c.action}`));
 * ```
 */
export async function provisionServices(
  store: Store,
  manifest: Manifest,
  options: ProvisionOptions,
): Promise<ProvisionReport> {
  // Two runs at once on one store would both plan from the same state and the second would fail
  // midway ("name taken"): a real run holds a lease from reading the state to writing the files,
  // so the next one waits and plans from what the first left. A dry run changes nothing.
  if (options.dryRun) return provisionUnderLease(store, manifest, options);
  return store.leases.run(PROVISION_LEASE, () => provisionUnderLease(store, manifest, options));
}

/** Name of the lease a provision run holds (see {@link LeaseStore}). */
export const PROVISION_LEASE = 'provision';

async function provisionUnderLease(
  store: Store,
  manifest: Manifest,
  options: ProvisionOptions,
): Promise<ProvisionReport> {
  const dryRun = options.dryRun ?? false;
  const endpoints = resolveEndpoints(manifest, options);
  const envDir = resolve(options.envDir);

  // The present: clients, the active key, and which .env files still hold a working secret.
  const existing = await store.clients.list();
  const activeKey = (await store.keys.list()).find((k) => k.state === 'active');
  const envSecrets = await findEnvSecrets(
    store,
    manifest,
    existing,
    (name) => join(envDir, `${name}.env`),
    Math.floor(Date.now() / 1000),
  );
  const keyClients = new Set<string>();
  for (const client of existing) {
    if (client.revokedAt !== null) continue;
    if ((await store.clients.getCredentials(client.clientId))?.publicKeys)
      keyClients.add(client.name);
  }
  const plan = computeProvisionPlan(
    manifest,
    {
      clients: existing,
      keyClients,
      hasActiveKey: activeKey !== undefined,
      envCredentials: envSecrets.working,
    },
    options,
  );

  if (!dryRun) {
    try {
      await mkdir(envDir, { recursive: true, mode: 0o700 });
      await access(envDir, constants.W_OK);
    } catch (err) {
      const reason = (err as Error).message;
      throw new ProvisionError('ERR_ENV_DIR_UNWRITABLE', `cannot write to ${envDir}: ${reason}`, {
        cause: err,
      });
    }
  }

  const applied = dryRun
    ? {
        generatedKey: undefined,
        adoptedKey: undefined,
        newCredentials: new Map(),
        applied: 0,
        error: undefined,
      }
    : await applyProvisionPlan(store, plan, options);
  const failed = applied.error !== undefined;
  const key = applied.generatedKey ?? applied.adoptedKey ?? activeKey;

  const { files, warnings } = await writeEnvFiles({
    manifest,
    plan,
    endpoints,
    envDir,
    dryRun,
    activeKey: key,
    publishedKeys: dryRun ? [] : await store.keys.published(),
    publicKeyPathForEnv: options.publicKeyPath ?? join(options.envDir, JWKS_FILE_NAME),
    credentials: new Map([...envSecrets.working, ...applied.newCredentials]),
    unusable: envSecrets.unusable,
    // After a failure, write only the files whose new secret would otherwise be lost.
    ...(failed ? { only: new Set(applied.newCredentials.keys()) } : {}),
  });

  if (failed) {
    const reason = (applied.error as Error).message;
    throw new ProvisionError(
      'ERR_APPLY_FAILED',
      `provisioning stopped after ${applied.applied} of ${plan.storeChanges} store changes: ${reason}; the .env files of the clients created so far were written, re-run to finish`,
      { cause: applied.error },
    );
  }

  for (const other of plan.unlisted) {
    if (other.action === 'leave') {
      warnings.push(
        `${other.name}: active client not described by ${manifest.source}; left alone (--prune revokes it, keep: lists it to silence this)`,
      );
    }
  }

  const renamed = new Map<string, string | undefined>();
  for (const c of plan.clients) {
    if (c.replaces === undefined) continue;
    renamed.set(c.replaces, dryRun ? undefined : (await store.clients.find(c.replaces))?.name);
  }
  const clientIds = new Map(plan.clients.map((c) => [c.name, c.clientId]));
  for (const [name, creds] of applied.newCredentials) clientIds.set(name, creds.clientId);
  const secretOutcome = (c: PlannedClient): SecretOutcome =>
    c.action === 'create'
      ? 'created'
      : c.rotateSecret
        ? 'rotated'
        : c.secret === 'env-file'
          ? 'kept'
          : 'missing';

  return {
    manifest: manifest.source,
    dryRun,
    envDir,
    endpoints,
    signingKey: {
      action: plan.generateKey && !applied.adoptedKey ? 'generate' : 'keep',
      kid: key?.kid,
      alg: key?.alg ?? options.keyAlg ?? 'RS256',
    },
    clients: plan.clients.map((c) => ({
      name: c.name,
      action: c.action,
      clientId: clientIds.get(c.name),
      scopes: c.scopes,
      audiences: c.audiences,
      tokenTtlSec: c.tokenTtlSec,
      changes: c.changes,
      secret: secretOutcome(c),
      ...(c.replaces === undefined
        ? {}
        : { replaced: { clientId: c.replaces, renamedTo: renamed.get(c.replaces) } }),
    })),
    unlisted: plan.unlisted,
    files,
    storeChanges: plan.storeChanges,
    warnings,
    complete: !files.some((f) => f.action === 'skip'),
  };
}
