import { constants } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { verifyClientSecret } from '../clients/verify-client-secret.js';
import { exportPublicKeyPem } from '../keys/export-public-key-pem.js';
import type { SigningAlg, SigningKeyRecord, Store } from '../store/types.js';
import {
  type ClientFieldChange,
  computeProvisionPlan,
  type PlannedClient,
  type PlanOptions,
  type UnlistedClient,
} from './compute-provision-plan.js';
import { parseDotenv } from './internal/dotenv.js';
import { type FileWriteResult, writeFileAtomic } from './internal/write-file-atomic.js';
import type { Manifest } from './parse-manifest.js';
import { ProvisionError } from './provision-error.js';
import { renderEnvFile } from './render-env-file.js';
import {
  type EndpointOverrides,
  type ProvisionEndpoints,
  resolveEndpoints,
} from './resolve-endpoints.js';

/** File name of the exported public key, beside the `.env` files (Passport's name for it). */
export const PUBLIC_KEY_FILE_NAME = 'oauth-public.key';

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
}

/** A file in a {@link ProvisionReport}. `skip`: not written (see `reason`). */
export interface ReportedFile {
  path: string;
  /** The service it belongs to; null for the public key. */
  service: string | null;
  action: 'create' | 'update' | 'unchanged' | 'skip';
  reason?: string;
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

type Credentials = { clientId: string; clientSecret: string };

async function readEnvCredentials(path: string): Promise<Partial<Credentials> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const vars = parseDotenv(text);
  return { clientId: vars.get('OAUTH_CLIENT_ID'), clientSecret: vars.get('OAUTH_CLIENT_SECRET') };
}

async function fileAction(
  path: string,
  content: string | undefined,
): Promise<ReportedFile['action']> {
  try {
    const existing = await readFile(path, 'utf8');
    return content !== undefined && existing === content ? 'unchanged' : 'update';
  } catch {
    return 'create';
  }
}

/**
 * Makes the store and the env folder match a manifest: creates missing clients, updates changed ones,
 * leaves the rest alone (idempotent), revokes unlisted ones under `prune`, generates a signing key
 * when none is active, exports its public key (`oauth-public.key`) and writes one `.env` per service
 * (mode 0600, atomically). Everything that can be refused is checked before the first change.
 *
 * @param store - An opened store (`openStore`).
 * @param manifest - From `readManifest` / `parseManifest`.
 * @param options - `envDir` (required), `dryRun`, `prune`, `rotateSecrets`, `secretGraceSec` (seconds,
 *   default 0), `keyAlg` (default RS256), URL overrides `authUrl` / `issuer` / `jwksUrl`.
 * @returns The report; `complete: false` when an existing client's secret is unknown (its `.env` is
 *   missing or stale and `rotateSecrets` does not cover it), so its `.env` was not written.
 * @throws {ProvisionError} `MANIFEST_INVALID` (URLs), `PROVISION_CONFLICT`, `ENV_DIR_UNWRITABLE`
 *   before any change; `APPLY_FAILED` when the store fails midway.
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
  const dryRun = options.dryRun ?? false;
  const endpoints = resolveEndpoints(manifest, options);
  const envDir = resolve(options.envDir);
  const envPath = (name: string): string => join(envDir, `${name}.env`);
  const publicKeyPath = join(envDir, PUBLIC_KEY_FILE_NAME);
  const now = Math.floor(Date.now() / 1000);

  // The present: clients, the active key, and which .env files still hold a working secret.
  const existing = await store.clients.list();
  const activeKey: SigningKeyRecord | undefined = (await store.keys.list()).find(
    (k) => k.state === 'active',
  );
  const envCredentials = new Map<string, Credentials>();
  const staleReasons = new Map<string, string>();
  for (const service of manifest.services.filter((s) => s.calls.length > 0)) {
    const client = existing.find((c) => c.name === service.name);
    if (client === undefined) continue;
    const found = await readEnvCredentials(envPath(service.name));
    if (found === undefined) {
      staleReasons.set(service.name, `${envPath(service.name)} is missing`);
    } else if (found.clientId !== client.clientId || !found.clientSecret) {
      staleReasons.set(
        service.name,
        `${envPath(service.name)} holds no credentials of this client`,
      );
    } else {
      const creds = await store.clients.getCredentials(client.clientId);
      if (creds && verifyClientSecret(found.clientSecret, creds.secrets, now)) {
        envCredentials.set(service.name, {
          clientId: client.clientId,
          clientSecret: found.clientSecret,
        });
      } else {
        staleReasons.set(
          service.name,
          `the secret in ${envPath(service.name)} is no longer accepted`,
        );
      }
    }
  }

  const plan = computeProvisionPlan(
    manifest,
    { clients: existing, hasActiveKey: activeKey !== undefined, envCredentials },
    options,
  );

  if (!dryRun) {
    try {
      await mkdir(envDir, { recursive: true, mode: 0o700 });
      await access(envDir, constants.W_OK);
    } catch (err) {
      throw new ProvisionError(
        'ENV_DIR_UNWRITABLE',
        `cannot write to ${envDir}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  // Apply, in an order where a failure loses nothing: secrets obtained so far are kept in memory
  // and written below even when a later change fails.
  const newCredentials = new Map<string, Credentials>();
  const clientIds = new Map(plan.clients.map((c) => [c.name, c.clientId]));
  let key = activeKey;
  let applyError: unknown;
  let applied = 0;
  if (!dryRun) {
    try {
      if (plan.generateKey) {
        key = await store.keys.generate(options.keyAlg ?? 'RS256', { state: 'active' });
        applied++;
      }
      for (const client of plan.clients) {
        if (client.action === 'create') {
          const created = await store.clients.create({
            name: client.name,
            scopes: client.scopes,
            audiences: client.audiences,
            ...(client.tokenTtlSec === undefined ? {} : { tokenTtlSec: client.tokenTtlSec }),
          });
          clientIds.set(client.name, created.client.clientId);
          newCredentials.set(client.name, {
            clientId: created.client.clientId,
            clientSecret: created.clientSecret,
          });
          applied++;
          continue;
        }
        if (client.action === 'update') {
          await store.clients.update(client.name, {
            scopes: client.scopes,
            audiences: client.audiences,
            ...(client.tokenTtlSec === undefined ? {} : { tokenTtlSec: client.tokenTtlSec }),
          });
          applied++;
        }
        if (client.rotateSecret) {
          const rotated = await store.clients.rotateSecret(
            client.name,
            options.secretGraceSec ?? 0,
          );
          newCredentials.set(client.name, {
            clientId: rotated.client.clientId,
            clientSecret: rotated.clientSecret,
          });
          applied++;
        }
      }
      for (const other of plan.unlisted) {
        if (other.action === 'revoke') {
          await store.clients.revoke(other.clientId);
          applied++;
        }
      }
    } catch (err) {
      applyError = err;
    }
  }

  // Files: the public key, then one .env per service.
  const files: ReportedFile[] = [];
  const warnings: string[] = [];
  const write = async (path: string, service: string | null, content: string | undefined) => {
    let action: ReportedFile['action'];
    if (dryRun || content === undefined) {
      action = await fileAction(path, content);
    } else {
      const result: FileWriteResult = await writeFileAtomic(path, content, 0o600);
      action = result === 'created' ? 'create' : result === 'updated' ? 'update' : 'unchanged';
    }
    files.push({ path, service, action });
  };

  const hasReceivers = manifest.services.some((s) => s.scopes.length > 0);
  if (hasReceivers && (key !== undefined || dryRun)) {
    await write(publicKeyPath, null, key ? await exportPublicKeyPem(key.publicJwk) : undefined);
  }

  for (const service of manifest.services) {
    // After a failure, write only the files whose new secret would otherwise be lost.
    if (applyError !== undefined && !newCredentials.has(service.name)) continue;
    const planned = plan.clients.find((c) => c.name === service.name);
    const secretToCome = dryRun && planned?.secret === 'new';
    const credentials = newCredentials.get(service.name) ?? envCredentials.get(service.name);
    if (planned && credentials === undefined && !secretToCome) {
      const reason = staleReasons.get(service.name) ?? 'its secret is unknown';
      files.push({ path: envPath(service.name), service: service.name, action: 'skip', reason });
      warnings.push(
        `${service.name}: client ${planned.clientId} exists but ${reason}; secrets are stored hashed, so it cannot be written again. Re-run with --rotate-secret ${service.name} (or --rotate-secrets) to issue a new secret.`,
      );
      continue;
    }
    const content = secretToCome
      ? undefined
      : renderEnvFile({ service, endpoints, source: manifest.source, credentials, publicKeyPath });
    await write(envPath(service.name), service.name, content);
  }

  if (applyError !== undefined) {
    const total = plan.storeChanges;
    throw new ProvisionError(
      'APPLY_FAILED',
      `provisioning stopped after ${applied} of ${total} store changes: ${(applyError as Error).message}; the .env files of the clients created so far were written, re-run to finish`,
      { cause: applyError },
    );
  }

  for (const other of plan.unlisted) {
    if (other.action === 'leave') {
      warnings.push(
        `${other.name}: active client not described by ${manifest.source}; left alone (--prune revokes it, keep: lists it to silence this)`,
      );
    }
  }

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
      action: plan.generateKey ? 'generate' : 'keep',
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
    })),
    unlisted: plan.unlisted,
    files,
    storeChanges: plan.storeChanges,
    warnings,
    complete: !files.some((f) => f.action === 'skip'),
  };
}
