/**
 * The shape of a provisioning manifest (`m2m-auth provision <manifest>`), as a zod schema.
 * Cross-references (unknown service, scope not declared by the receiver…) are checked afterwards by
 * `parseManifest`, which also maps every problem to a line of the file.
 */
import { z } from 'zod';

/**
 * Service (and client) names: a letter, then letters, digits, `_`, `.` or `-`; at most 64 characters.
 * They become client names, audiences (RFC 8707) and `.env` file names, so nothing path-like.
 */
export const SERVICE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * A scope token (RFC 6749 §3.3: `1*( %x21 / %x23-5B / %x5D-7E )`). The wildcard `*` is refused:
 * provisioning grants explicit scopes only (least privilege).
 */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const serviceName = z
  .string()
  .regex(
    SERVICE_NAME_PATTERN,
    'must start with a letter and hold only letters, digits, "_", "." or "-" (at most 64)',
  )
  // The store refuses UUID-shaped names: they could be mistaken for a client_id.
  .refine((name) => !UUID.test(name), 'must not look like a client_id (a UUID)');

const scope = z
  .string()
  .regex(SCOPE_PATTERN, 'is not a valid scope token (RFC 6749 §3.3: printable ASCII, no space)')
  .max(128, 'is longer than 128 characters')
  .refine((s) => s !== '*', 'the wildcard scope "*" cannot be granted by a manifest');

const ttlSec = z
  .number()
  .int('must be a whole number of seconds')
  .min(1, 'must be at least 1 second')
  .max(86_400, 'must be at most 86400 seconds (one day)');

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
