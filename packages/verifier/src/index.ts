export type {
  BearerErrorResponse,
  BearerErrorResponseOptions,
} from './create-bearer-error-response.js';
export { createBearerErrorResponse } from './create-bearer-error-response.js';
export type { Verifier, VerifyOptions } from './create-verifier.js';
export { createVerifier } from './create-verifier.js';
export type {
  BearerErrorCode,
  VerifierErrorCode,
  VerifierErrorDetails,
  VerifierErrorInfo,
  VerifierErrorOptions,
} from './errors.js';
export {
  describeVerifierError,
  getVerifierErrorInfo,
  isVerifierError,
  VERIFIER_ERROR_CODES,
  VerifierError,
} from './errors.js';
export { DEFAULT_MAX_TOKEN_LENGTH, extractBearerToken } from './extract-bearer-token.js';
export { isScopeToken } from './is-scope-token.js';
export { readAuthorizationHeader } from './read-authorization-header.js';
export type {
  AccessTokenClaims,
  AuthInfo,
  RevocationStatus,
  RevocationsWhenStale,
  SupportedAlgorithm,
  TokenFormat,
  VerifierEvent,
  VerifierLogger,
} from './types.js';
export type { TokenSourceOptions, VerifierOptions } from './verifier-options.js';
export { verifyJwsSignature } from './verify-jws-signature.js';
