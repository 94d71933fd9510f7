/**
 * Longest access token the server issues, characters: the default `maxTokenLength` of
 * `@m2m-auth/verifier` (`DEFAULT_MAX_TOKEN_LENGTH`; a test keeps both equal), so a token this
 * server issues is never refused by its own verifier's defaults. A request whose token would be
 * longer is refused with `ERR_TOKEN_TOO_LARGE` (invalid_scope) rather than answered with a token
 * every resource server would reject.
 */
export const MAX_ACCESS_TOKEN_LENGTH = 8192;
