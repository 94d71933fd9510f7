/**
 * The shape of a provisioning manifest (`m2m-auth provision <manifest>`), as a zod schema.
 * Cross-references (unknown service, scope not declared by the receiver…) are checked afterwards by
 * `parseManifest`, which also maps every problem to a line of the file.
 */
import { z } from 'zod';
import { clientNameSchema, scopeSchema, tokenTtlSecSchema } from '../clients/client-rules.js';

// Service names become client names, audiences (RFC 8707) and `.env` file names: the client rules.
const serviceName = clientNameSchema;
const scope = scopeSchema;
const ttlSec = tokenTtlSecSchema;

const url = z.string().min(1, 'must not be empty');

/**
 * How a calling service authenticates: `client_secret` (a generated secret in its `.env`) or
 * `private_key_jwt` (a key pair generated per service: the private key in a file next to its
 * `.env`, only the public key in the database).
 */
const clientAuth = z.enum(['client_secret', 'private_key_jwt']);

/** One service of the platform: what it accepts as a resource server and whom it calls as a client. */
export const serviceSchema = z.strictObject({
  /** Free text for humans; ignored by provisioning. */
  description: z.string().optional(),
  /** Scopes this service knows as a resource server; callers may only be granted these. */
  scopes: z.array(scope).optional(),
  /** Services this one calls (its audiences), each with the scopes it may use there (at least one). */
  calls: z.record(serviceName, z.array(scope).min(1, 'must list at least one scope')).optional(),
  /** Lifetime of the access tokens issued to this service's client, seconds (overrides the default). */
  token_ttl_sec: ttlSec.optional(),
  /**
   * The Laravel Passport client this service's client adopts (`m2m-auth import passport`): its id
   * (`5`, a UUID) or name. Provisioning itself ignores it.
   */
  passport_client: z
    .union([z.string().min(1, 'must not be empty'), z.number().int().nonnegative()])
    .optional(),
  /** How this service's client authenticates (overrides the manifest's `client_auth`). */
  client_auth: clientAuth.optional(),
});

/** A whole manifest. */
export const manifestSchema = z.strictObject({
  /** Format version; only 1 exists. */
  version: z.literal(1).optional(),
  /** Base URL of the authorization server, e.g. `http://127.0.0.1:8080` (overridden by `--auth-url`). */
  auth_url: url.optional(),
  /** Issuer (`iss`) the resource servers expect; default: the base URL (overridden by `--issuer`). */
  issuer: url.optional(),
  /** JWKS URL the resource servers may fetch; default: `<auth_url>/.well-known/jwks.json`. */
  jwks_url: url.optional(),
  /** How every calling service authenticates unless it says otherwise; default `client_secret`. */
  client_auth: clientAuth.optional(),
  /** Default access-token lifetime of every client, seconds; default: the store's (900). */
  token_ttl_sec: ttlSec.optional(),
  /** Clients not in this manifest that `--prune` must leave alone (e.g. created by hand). */
  keep: z.array(z.string().min(1, 'must not be empty')).optional(),
  /** The services, by name. */
  services: z.record(serviceName, serviceSchema),
});

/** A service entry as written in the manifest. */
export type ServiceSpec = z.infer<typeof serviceSchema>;
/** A manifest as written (snake_case keys), after shape validation. */
export type ManifestInput = z.infer<typeof manifestSchema>;
