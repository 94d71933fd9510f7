/**
 * The rules of a client's registered fields, defined once as zod schemas: the store
 * (`validate-client-fields.ts`, behind every CLI command and the admin API) and the provisioning
 * manifest (`provision/manifest-schema.ts`) both check with these. Issue messages are phrased to
 * follow the field's name ("services.x.token_ttl_sec: must be …").
 */
import { z } from 'zod';
import { MAX_TOKEN_TTL_SEC } from '../tokens/token-lifetime.js';

export { DEFAULT_TOKEN_TTL_SEC, MAX_TOKEN_TTL_SEC } from '../tokens/token-lifetime.js';
/** Shortest access-token lifetime a client may have, seconds. */
export const MIN_TOKEN_TTL_SEC = 1;
/** Longest grace period for an old secret after rotation, seconds (30 days). */
export const MAX_SECRET_GRACE_SEC = 30 * 86_400;
/** Longest scope-token, characters. */
export const MAX_SCOPE_LENGTH = 128;
/** Longest audience, characters. */
export const MAX_AUDIENCE_LENGTH = 255;
/**
 * Most scopes a client may have. With {@link MAX_CLIENT_SCOPES_LENGTH} it keeps the `scope` claim
 * small enough that a token carrying all of them fits `MAX_ACCESS_TOKEN_LENGTH` (8192 characters,
 * what `@m2m-auth/verifier` accepts by default) with room for the other claims: a 255-character
 * audience, an issuer of well over 1000 characters and an RSA signature of up to 16384 bits.
 */
export const MAX_CLIENT_SCOPES = 128;
/** Longest `scope` claim a client's scopes may make (space-separated), characters. */
export const MAX_CLIENT_SCOPES_LENGTH = 2048;
/** Access-token formats a client may have (`AccessTokenFormat`). */
export const ACCESS_TOKEN_FORMATS = ['rfc9068', 'passport'] as const;

/**
 * Client names: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit (names become
 * audiences and `.env` file names: nothing path-like). The store has always accepted a leading
 * digit (ERRORS.md says so, and stored names may have one); the manifest used to refuse it
 * without saying so anywhere, so the looser rule is the one kept.
 */
export const CLIENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A scope-token, RFC 6749 §3.3: `1*( %x21 / %x23-5B / %x5D-7E )`. */
export const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
// Audiences name resource servers (RFC 8707 resource, or a service name such as ms_doctor):
// printable ASCII without spaces; commas are excluded because the CLI separates lists with them.
const AUDIENCE_PATTERN = /^[\x21-\x2B\x2D-\x7E]+$/;

/** A client name; not shaped like a client_id (a UUID), so `<id|name>` arguments are never ambiguous. */
export const clientNameSchema = z
  .string()
  .regex(
    CLIENT_NAME_PATTERN,
    'must start with a letter or digit and hold only letters, digits, "_", "." or "-" (at most 64)',
  )
  .refine((name) => !UUID.test(name), 'must not look like a client_id (a UUID)');

/** One scope a client may be granted; `*` is reserved (a token request for `*` gets every allowed scope). */
export const scopeSchema = z
  .string()
  .regex(
    SCOPE_TOKEN_PATTERN,
    "is not a valid scope token (RFC 6749 §3.3: printable ASCII, no space, '\"' or '\\')",
  )
  .max(MAX_SCOPE_LENGTH, `is longer than ${MAX_SCOPE_LENGTH} characters`)
  .refine((s) => s !== '*', 'the wildcard scope "*" is reserved and cannot be granted');

/** One audience (RFC 8707 resource) a client may get tokens for. */
export const audienceSchema = z
  .string()
  .regex(AUDIENCE_PATTERN, 'must be printable ASCII without spaces or commas')
  .max(MAX_AUDIENCE_LENGTH, `is longer than ${MAX_AUDIENCE_LENGTH} characters`);

/** A client's access-token lifetime, whole seconds from {@link MIN_TOKEN_TTL_SEC} to {@link MAX_TOKEN_TTL_SEC}. */
export const tokenTtlSecSchema = z
  .number()
  .int('must be a whole number of seconds')
  .min(MIN_TOKEN_TTL_SEC, `must be at least ${MIN_TOKEN_TTL_SEC} second`)
  .max(MAX_TOKEN_TTL_SEC, `must be at most ${MAX_TOKEN_TTL_SEC} seconds (one day)`);

/** A client's access-token format. */
export const tokenFormatSchema = z.enum(ACCESS_TOKEN_FORMATS);
