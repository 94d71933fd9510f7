/**
 * `@m2m-auth/client`: get, cache and attach OAuth 2.0 client_credentials access tokens in a
 * calling service.
 *
 * @packageDocumentation
 */

export type { TokenClient } from './create-token-client.js';
export { createTokenClient } from './create-token-client.js';
export type { TokenClientErrorCode, TokenClientErrorDetails } from './errors.js';
export { TOKEN_CLIENT_ERROR_CODES, TokenClientError } from './errors.js';
export type {
  ClientAuthMethod,
  GetTokenOptions,
  TokenClientOptions,
  TokenTargetOptions,
} from './token-client-options.js';
