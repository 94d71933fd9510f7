import { readFile } from 'node:fs/promises';
import { verifyClientSecret } from '../../clients/verify-client-secret.js';
import type { ClientRecord, Store } from '../../store/types.js';
import type { Manifest } from '../parse-manifest.js';
import { parseDotenv } from './dotenv.js';

/** A client's credentials as a caller's `.env` holds them. */
export interface EnvCredentials {
  clientId: string;
  clientSecret: string;
}

/** Which existing clients' `.env` files still hold a working secret, and why the others do not. */
export interface EnvSecrets {
  /** By service name: credentials whose secret the store still accepts. */
  working: Map<string, EnvCredentials>;
  /** By service name: why its `.env` cannot be reused (missing, another client's, stale). */
  unusable: Map<string, string>;
}

async function readCredentials(path: string): Promise<Partial<EnvCredentials> | undefined> {
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

/**
 * For each calling service whose client exists, checks its `.env`: the secret there is reused only
 * when the client_id matches and the store still accepts the secret (constant-time check), since
 * secrets are stored hashed and cannot be written again otherwise.
 */
export async function findEnvSecrets(
  store: Store,
  manifest: Manifest,
  clients: readonly ClientRecord[],
  envPath: (service: string) => string,
  nowSec: number,
): Promise<EnvSecrets> {
  const working = new Map<string, EnvCredentials>();
  const unusable = new Map<string, string>();
  for (const service of manifest.services) {
    const client = clients.find((c) => c.name === service.name);
    if (service.calls.length === 0 || client === undefined) continue;
    const path = envPath(service.name);
    const found = await readCredentials(path);
    if (found === undefined) {
      unusable.set(service.name, `${path} is missing`);
    } else if (found.clientId !== client.clientId || !found.clientSecret) {
      unusable.set(service.name, `${path} holds no credentials of this client`);
    } else {
      const stored = await store.clients.getCredentials(client.clientId);
      if (stored && verifyClientSecret(found.clientSecret, stored.secrets, nowSec)) {
        working.set(service.name, { clientId: client.clientId, clientSecret: found.clientSecret });
      } else {
        unusable.set(service.name, `the secret in ${path} is no longer accepted`);
      }
    }
  }
  return { working, unusable };
}
