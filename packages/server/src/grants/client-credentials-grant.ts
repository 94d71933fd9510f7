import type { ClientRecord } from '../clients/client-store.js';
import { AuthServerError } from '../errors/auth-server-error.js';
import {
  type AccessTokenSigningKey,
  type IssuedAccessToken,
  signAccessToken,
} from '../tokens/issue-access-token.js';
import { MAX_ACCESS_TOKEN_LENGTH } from '../tokens/max-access-token-length.js';
import {
  authenticateClient,
  presentedClientIdOrEmpty,
  readClientCredentials,
  refuseControlCharacters,
} from './authenticate-client.js';
import { checkParameters } from './internal/check-parameters.js';
import { findParameterWithControlCharacters } from './internal/control-characters.js';
import type { PresentedClientCredentials } from './internal/extract-client-credentials.js';
import { readParam } from './internal/read-param.js';
import { resolveAudience } from './internal/resolve-audience.js';
import { resolveScopes } from './internal/resolve-scopes.js';
import type { ClientAuthenticationContext, TokenRequest } from './token-request.js';

export type { TokenRequest, TokenRequestFacts } from './token-request.js';

/** The successful token response body (RFC 6749 §5.1). */
export interface TokenResponseBody {
  access_token: string;
  token_type: 'Bearer';
  /** Lifetime in seconds. */
  expires_in: number;
  /** Granted scopes, space-delimited (possibly empty). */
  scope: string;
}

/** What the grant needs from the server: the issuer, client lookup, secret check, signing key. */
export interface ClientCredentialsGrantContext extends ClientAuthenticationContext {
  /** Issuer identifier written as `iss`. */
  issuer: string;
  /** The active signing key, imported; undefined when the store has none. */
  signingKey(nowSec: number): Promise<AccessTokenSigningKey | undefined>;
}

/** Outcome of a successful grant, with what an audit line needs. */
export interface ClientCredentialsGrantResult {
  body: TokenResponseBody;
  client: ClientRecord;
  audience: string;
  method: PresentedClientCredentials['method'];
  token: IssuedAccessToken;
}

/**
 * Runs the client credentials grant (RFC 6749 §4.4): checks the request, authenticates the client
 * (§2.3.1), decides scopes (§3.3) and audience (RFC 8707), and signs an RFC 9068 access token.
 * Writes nothing to the store.
 *
 * Unknown client, wrong secret and revoked client all fail with the same `ERR_CLIENT_AUTH_FAILED`
 * after the same work (a secret comparison), so the answer reveals nothing about which it was.
 *
 * @param request - parsed parameters and Authorization header.
 * @param context - issuer, client lookup, secret verifier and signing key source.
 * @returns the RFC 6749 §5.1 response body and the issuance facts.
 * A control character (or an unpaired surrogate) in any parameter, or in Basic credentials, is
 * refused before any lookup and counted as a failed authentication (`admitClient`, then
 * `clientAuthenticated(…, false)`): `ERR_CLIENT_AUTH_CONTROL_CHARACTERS` (invalid_client) for
 * `client_id`, `client_secret` and Basic credentials, `ERR_REQUEST_PARAMETER_CONTROL_CHARACTERS`
 * (invalid_request) for any other parameter.
 *
 * @throws AuthServerError `ERR_GRANT_TYPE_MISSING`, `ERR_GRANT_TYPE_UNSUPPORTED`,
 *   `ERR_REQUEST_PARAMETER_REPEATED`, `ERR_REQUEST_PARAMETER_INVALID`,
 *   `ERR_REQUEST_TOO_MANY_PARAMETERS`, `ERR_REQUEST_PARAMETER_CONTROL_CHARACTERS`,
 *   `ERR_CLIENT_AUTH_CONTROL_CHARACTERS`, whatever `admitClient` throws,
 *   `ERR_CLIENT_AUTH_MULTIPLE_METHODS`, `ERR_CLIENT_AUTH_MISSING`, `ERR_CLIENT_AUTH_MALFORMED`,
 *   `ERR_CLIENT_AUTH_METHOD_UNSUPPORTED`, `ERR_CLIENT_AUTH_FAILED`, `ERR_SCOPE_NOT_ALLOWED`,
 *   `ERR_AUDIENCE_MISSING`, `ERR_AUDIENCE_NOT_ALLOWED`, `ERR_AUDIENCE_AMBIGUOUS`,
 *   `ERR_NO_SIGNING_KEY`, `ERR_TOKEN_TOO_LARGE` (the signed token would exceed
 *   `MAX_ACCESS_TOKEN_LENGTH`; it is discarded).
 *
 * @example
 * ```ts
 * const { body } = await grantClientCredentials(
 *   { params: { grant_type: 'client_credentials', scope: 'doctors:read' }, authorization },
 *   context,
 * );
 * ```
 */
export async function grantClientCredentials(
  request: TokenRequest,
  context: ClientCredentialsGrantContext,
): Promise<ClientCredentialsGrantResult> {
  const { params, facts } = request;
  checkParameters(params);
  // Control characters are refused before anything reaches the store or a log line (PostgreSQL
  // refuses NUL in text, which would pass for a database outage), the same way on every dialect.
  const tainted = findParameterWithControlCharacters(params);
  if (tainted !== undefined) {
    refuseControlCharacters(tainted, presentedClientIdOrEmpty(request), request, context);
  }
  const grantType = readParam(params, 'grant_type');
  if (grantType === undefined) throw new AuthServerError('ERR_GRANT_TYPE_MISSING');
  if (grantType !== 'client_credentials') {
    throw new AuthServerError('ERR_GRANT_TYPE_UNSUPPORTED', { cause: 'grant_type' });
  }
  const presented = readClientCredentials(request, context);
  // Read every parameter before authenticating so malformed requests fail the same way whoever
  // sends them, and a failed authentication is the last thing the caller learns.
  const requestedScope = readParam(params, 'scope');
  const audience = readParam(params, 'audience');
  if (Array.isArray(params['resource'])) {
    // RFC 8707 allows several resources; one token per audience keeps aud checks meaningful.
    throw new AuthServerError('ERR_AUDIENCE_AMBIGUOUS', { cause: 'several resource parameters' });
  }
  const resource = readParam(params, 'resource');
  if (facts !== undefined) {
    facts.clientId = presented.clientId;
    facts.authMethod = presented.method;
    if (requestedScope !== undefined) facts.requestedScope = requestedScope;
    const requestedAudience = audience ?? resource;
    if (requestedAudience !== undefined) facts.requestedAudience = requestedAudience;
  }
  const { client } = await authenticateClient(presented, request, context);
  const nowSec = Math.floor(Date.now() / 1000);
  const scopes = resolveScopes(requestedScope, client.scopes);
  // A Passport-era caller names no audience even when its client may call several services; its
  // Passport-shaped token names the caller in `aud`, as Passport's did. An audience it does name
  // must still be allowed.
  const passportShaped = client.tokenFormat === 'passport';
  const target =
    passportShaped && audience === undefined && resource === undefined
      ? client.clientId
      : resolveAudience(audience, resource, client.audiences);
  if (target === client.clientId && !passportShaped) {
    // The audience is the receiving service, never the caller itself (RFC 9068 §3).
    throw new AuthServerError('ERR_AUDIENCE_NOT_ALLOWED', { cause: 'audience is the caller' });
  }

  const signingKey = await context.signingKey(nowSec);
  if (signingKey === undefined) throw new AuthServerError('ERR_NO_SIGNING_KEY');
  const token = signAccessToken(signingKey, {
    issuer: context.issuer,
    clientId: client.clientId,
    audience: target,
    scopes,
    expiresInSec: client.tokenTtlSec,
    nowSec,
    format: client.tokenFormat,
  });
  if (token.accessToken.length > MAX_ACCESS_TOKEN_LENGTH) {
    // Never handed out: every verifier with default settings would refuse it. Registration bounds
    // a client's scopes so this only happens for clients registered before that bound, or with an
    // issuer or key far larger than usual.
    throw new AuthServerError('ERR_TOKEN_TOO_LARGE', {
      cause: `token of ${token.accessToken.length} characters`,
    });
  }
  return {
    body: {
      access_token: token.accessToken,
      token_type: 'Bearer',
      expires_in: client.tokenTtlSec,
      scope: token.scope,
    },
    client,
    audience: target,
    method: presented.method,
    token,
  };
}
