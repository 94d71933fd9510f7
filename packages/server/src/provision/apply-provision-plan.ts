import type { Store } from '../app/store.js';
import type { SigningKeyRecord } from '../keys/key-store.js';
import { StoreError } from '../store/store-error.js';
import type { SigningAlg } from '../tokens/token-types.js';
import type { ProvisionPlan } from './compute-provision-plan.js';
import type { EnvCredentials } from './internal/find-env-secrets.js';
import { generateClientKeyPair } from './internal/generate-client-key-pair.js';

/** Options of {@link applyProvisionPlan}. */
export interface ApplyOptions {
  /** Seconds a rotated secret stays accepted; default 0 (rejected at once). */
  secretGraceSec?: number;
  /** Algorithm of the key generated when the plan says so; default `RS256`. */
  keyAlg?: SigningAlg;
}

/** What {@link applyProvisionPlan} did, also when it stopped midway (`error`). */
export interface AppliedPlan {
  /** The key generated, when the plan asked for one and it was made. */
  generatedKey: SigningKeyRecord | undefined;
  /**
   * The key that became active while the plan was applied by someone else (a first `serve`
   * generating its key at the same moment), adopted instead of generating a second one.
   */
  adoptedKey: SigningKeyRecord | undefined;
  /** Credentials of the clients created or given a new secret, by name: the only copy. */
  newCredentials: Map<string, EnvCredentials>;
  /** Number of store changes made. */
  applied: number;
  /** The store's error, when it refused a change; the changes before it stay. */
  error: unknown;
}

/**
 * Makes the store changes of a plan, one by one: the signing key, then creations (a replacement of
 * a revoked client is one of them, in one transaction), updates, secret rotations and revocations. Never throws: a failure is returned with everything obtained before it,
 * so the caller can still write the new secrets somewhere (they exist nowhere else).
 *
 * @param store - The store the plan was computed on.
 * @param plan - From `computeProvisionPlan`.
 * @param options - `secretGraceSec` (seconds, default 0), `keyAlg` (default RS256).
 * @example
 * ```ts
 * const { newCredentials, error } = await applyProvisionPlan(store, plan);
 * ```
 */
export async function applyProvisionPlan(
  store: Store,
  plan: ProvisionPlan,
  options: ApplyOptions = {},
): Promise<AppliedPlan> {
  const result: AppliedPlan = {
    generatedKey: undefined,
    adoptedKey: undefined,
    newCredentials: new Map(),
    applied: 0,
    error: undefined,
  };
  try {
    if (plan.generateKey) {
      try {
        result.generatedKey = await store.keys.generate(options.keyAlg ?? 'RS256', {
          state: 'active',
        });
        result.applied++;
      } catch (err) {
        // The plan saw no active key, but one appeared since (e.g. `serve` started alongside):
        // use it rather than fail, since a second active key is exactly what the store forbids.
        if (!(err instanceof StoreError && err.code === 'ERR_ACTIVE_KEY_EXISTS')) throw err;
        result.adoptedKey = (await store.keys.list()).find((k) => k.state === 'active');
      }
    }
    for (const client of plan.clients) {
      const ttl = client.tokenTtlSec === undefined ? {} : { tokenTtlSec: client.tokenTtlSec };
      // Renaming the revoked client and creating its successor is one transaction in the store.
      const replacing = client.replaces === undefined ? {} : { replacingRevoked: client.replaces };
      if (
        client.clientAuth === 'private_key_jwt' &&
        (client.action === 'create' || client.rotateSecret)
      ) {
        const pair = await generateClientKeyPair();
        const fields = {
          name: client.name,
          scopes: client.scopes,
          audiences: client.audiences,
          ...ttl,
        };
        let clientId: string;
        if (client.action === 'create') {
          clientId = (
            await store.clients.createWithPublicKeys(
              fields,
              { publicKeys: [pair.publicPem] },
              replacing,
            )
          ).clientId;
        } else {
          if (client.action === 'update') {
            await store.clients.update(client.name, {
              scopes: client.scopes,
              audiences: client.audiences,
              ...ttl,
            });
            result.applied++;
          }
          clientId = (
            await store.clients.setPublicKeys(client.name, { publicKeys: [pair.publicPem] })
          ).clientId;
        }
        result.newCredentials.set(client.name, {
          clientId,
          clientSecret: '',
          privateKeyPem: pair.privatePem,
        });
        result.applied++;
        continue;
      }
      if (client.action === 'create') {
        const created = await store.clients.create(
          {
            name: client.name,
            scopes: client.scopes,
            audiences: client.audiences,
            ...ttl,
          },
          replacing,
        );
        result.newCredentials.set(client.name, {
          clientId: created.client.clientId,
          clientSecret: created.clientSecret,
        });
        result.applied++;
        continue;
      }
      if (client.action === 'update') {
        await store.clients.update(client.name, {
          scopes: client.scopes,
          audiences: client.audiences,
          ...ttl,
        });
        result.applied++;
      }
      if (client.rotateSecret) {
        const rotated = await store.clients.rotateSecret(client.name, options.secretGraceSec ?? 0);
        result.newCredentials.set(client.name, {
          clientId: rotated.client.clientId,
          clientSecret: rotated.clientSecret,
        });
        result.applied++;
      }
    }
    for (const other of plan.unlisted) {
      if (other.action === 'revoke') {
        await store.clients.revoke(other.clientId);
        result.applied++;
      }
    }
  } catch (err) {
    result.error = err;
  }
  return result;
}
