// The `@m2m-auth/server/tokens` entry: RFC 9068 JWT access tokens as the server issues them.

export {
  type AccessTokenGrant,
  type AccessTokenSigningKey,
  type IssuedAccessToken,
  issueAccessToken,
} from './tokens/issue-access-token.js';
export { MAX_ACCESS_TOKEN_LENGTH } from './tokens/max-access-token-length.js';
