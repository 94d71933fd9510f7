import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../internal/write-file-atomic.js';
import { buildJwks } from '../keys/build-jwks.js';
import { exportPublicKeyPem } from '../keys/export-public-key-pem.js';
import type { SigningKeyRecord } from '../keys/key-store.js';
import type { ProvisionPlan } from './compute-provision-plan.js';
import type { EnvCredentials } from './internal/find-env-secrets.js';
import type { Manifest } from './parse-manifest.js';
import { renderEnvFile } from './render-env-file.js';
import type { ProvisionEndpoints } from './resolve-endpoints.js';

/** File name of the exported public key, beside the `.env` files (Passport's name for it). */
export const PUBLIC_KEY_FILE_NAME = 'oauth-public.key';
/** File name of the JWK Set of every published key, beside the `.env` files. */
export const JWKS_FILE_NAME = 'jwks.json';

/** A file in a provisioning report. `skip`: not written (see `reason`). */
export interface ReportedFile {
  path: string;
  /** The service it belongs to; null for the public key. */
  service: string | null;
  action: 'create' | 'update' | 'unchanged' | 'skip';
  reason?: string;
}

/** What {@link writeEnvFiles} needs. */
export interface EnvFilesInput {
  manifest: Manifest;
  plan: ProvisionPlan;
  endpoints: ProvisionEndpoints;
  /** Absolute path of the env folder (it exists unless `dryRun`). */
  envDir: string;
  /** Only compare with what is on disk; write nothing. */
  dryRun: boolean;
  /** The active signing key, if any (in a dry run, undefined when one would be generated). */
  activeKey: SigningKeyRecord | undefined;
  /** Every published key (next, active, retired), for `jwks.json`. */
  publishedKeys: readonly SigningKeyRecord[];
  /**
   * The `OAUTH_PUBLIC_KEY_PATH` written into receivers' `.env`: the operator's choice, or the
   * env folder's `jwks.json` as the operator named the folder (not resolved against this host).
   */
  publicKeyPathForEnv: string;
  /** Credentials by service: new ones (created, rotated) and working ones from existing `.env`s. */
  credentials: ReadonlyMap<string, EnvCredentials>;
  /** By service: why an existing client's `.env` secret cannot be reused. */
  unusable: ReadonlyMap<string, string>;
  /** When set, write only these services' files (after a failure: the ones with a new secret). */
  only?: ReadonlySet<string>;
}

async function compareWithDisk(
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
 * Writes `oauth-public.key` (SPKI PEM of the active key) and one `<service>.env` per service into the
 * env folder, atomically with mode 0600, leaving identical files untouched. A caller whose secret is
 * unknown (existing client, `.env` missing or stale, no rotation) is skipped with a warning rather
 * than given a file without a secret. In a dry run, only says what would change.
 *
 * @returns The files with what was done to each, and the warnings.
 * @example
 * ```ts
 * const { files, warnings } = await writeEnvFiles({ manifest, plan, endpoints, envDir, dryRun: false, activeKey, credentials, unusable: new Map() });
 * ```
 */
export async function writeEnvFiles(
  input: EnvFilesInput,
): Promise<{ files: ReportedFile[]; warnings: string[] }> {
  const { manifest, plan, envDir, dryRun } = input;
  const files: ReportedFile[] = [];
  const warnings: string[] = [];
  const publicKeyPath = join(envDir, PUBLIC_KEY_FILE_NAME);

  const write = async (path: string, service: string | null, content: string | undefined) => {
    let action: ReportedFile['action'];
    if (dryRun || content === undefined) {
      action = await compareWithDisk(path, content);
    } else {
      const result = await writeFileAtomic(path, content, 0o600);
      action = result === 'created' ? 'create' : result === 'updated' ? 'update' : 'unchanged';
    }
    files.push({ path, service, action });
  };

  const hasReceivers = manifest.services.some((s) => s.scopes.length > 0);
  if (hasReceivers && (input.activeKey !== undefined || dryRun)) {
    const pem = input.activeKey ? await exportPublicKeyPem(input.activeKey.publicJwk) : undefined;
    await write(publicKeyPath, null, pem);
    // Every published key: a verifier reading this file follows a rotation once the file is kept
    // current (`m2m-auth serve --publish-keys`), where a single-key PEM breaks at the activation.
    const jwks = input.activeKey
      ? `${JSON.stringify(buildJwks(input.publishedKeys), null, 2)}\n`
      : undefined;
    await write(join(envDir, JWKS_FILE_NAME), null, jwks);
  }

  for (const service of manifest.services) {
    if (input.only && !input.only.has(service.name)) continue;
    const path = join(envDir, `${service.name}.env`);
    const planned = plan.clients.find((c) => c.name === service.name);
    const secretToCome = dryRun && planned?.secret === 'new';
    const credentials = input.credentials.get(service.name);
    if (planned && credentials === undefined && !secretToCome) {
      const reason = input.unusable.get(service.name) ?? 'its secret is unknown';
      files.push({ path, service: service.name, action: 'skip', reason });
      warnings.push(
        `${service.name}: client ${planned.clientId} exists but ${reason}; secrets are stored hashed, so it cannot be written again. Re-run with --rotate-secret ${service.name} (or --rotate-secrets) to issue a new secret.`,
      );
      continue;
    }
    // A generated private key goes into the service's own file (mode 0600) before the .env that
    // names it; the database only ever saw its public half.
    let keyCredentials = credentials;
    if (credentials?.privateKeyPem !== undefined) {
      const keyPath = join(envDir, `${service.name}.key`);
      const written = dryRun
        ? 'created'
        : await writeFileAtomic(keyPath, credentials.privateKeyPem, 0o600);
      files.push({
        path: keyPath,
        service: service.name,
        action: written === 'created' ? 'create' : written === 'updated' ? 'update' : 'unchanged',
      });
      keyCredentials = {
        clientId: credentials.clientId,
        clientSecret: '',
        privateKeyPath: keyPath,
      };
    }
    const content = secretToCome
      ? undefined
      : renderEnvFile({
          service,
          endpoints: input.endpoints,
          source: manifest.source,
          credentials: keyCredentials,
          publicKeyPath: input.publicKeyPathForEnv,
        });
    await write(path, service.name, content);
  }
  return { files, warnings };
}
