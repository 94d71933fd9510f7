/**
 * Defaults of the HTTP server, in a module without dependencies so the CLI can show them in
 * `--help` without loading Fastify.
 */

/** Default `Cache-Control: max-age` of the JWKS, seconds. */
export const DEFAULT_JWKS_MAX_AGE_SEC = 300;
/** Default `Cache-Control: max-age` of the metadata document, seconds. */
export const DEFAULT_METADATA_MAX_AGE_SEC = 300;
/** Default interval of revision checks on PostgreSQL, milliseconds. */
export const DEFAULT_POSTGRES_REVISION_CHECK_INTERVAL_MS = 1000;
/** Default largest accepted request body, bytes. */
export const DEFAULT_BODY_LIMIT_BYTES = 16_384;
/**
 * Default time allowed to receive a whole request (headers and body), milliseconds: a token request
 * is a few hundred bytes, so a slow sender is cut off instead of holding a connection.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default largest accepted request head (request line and headers), bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 8192;
