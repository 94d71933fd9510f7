import { AuthServerError } from '../errors/auth-server-error.js';
import type { ClientCredentials, ClientPublicKeys, ClientRecord } from '../store/types.js';
import {
  type AccessTokenSigningKey,
  type IssuedAccessToken,
  signAccessToken,
} from '../tokens/issue-access-token.js';
import { MAX_ACCESS_TOKEN_LENGTH } from '../tokens/max-access-token-length.js';
import { checkParameters } from './internal/check-parameters.js';
import {
  findParameterWithControlCharacters,
  hasControlCharacters,
} from './internal/control-characters.js';
import {
  extractClientCredentials,
  type PresentedClientCredentials,
} from './internal/extract-client-credentials.js';
import { JwsFormatError, parseStrictJws } from './internal/parse-strict-jws.js';
import { readParam } from './internal/read-param.js';
import { resolveAudience } from './internal/resolve-audience.js';
import { resolveScopes } from './internal/resolve-scopes.js';
import { ClientAssertionRefused } from './verify-client-assertion.js';

/** A token request as the HTTP layer hands it over. */
export interface TokenRequest {
  /** Parsed body parameters (form or JSON); repeated form parameters are arrays. */
  params: Record<string, unknown>;
  /** The raw `Authorization` header, if any. */
  authorization: string | undefined;
  /** Source address of the request, handed to `admitClient` and `clientAuthenticated`. */
  sourceAddress?: string;
  /**
   * Filled in by the grant as it learns them, so that a refusal can be audited with what was
   * asked for. Never holds the client secret.
   */
  facts?: TokenRequestFacts;
}

/** What the grant learned about a request before it succeeded or was refused. */
export interface TokenRequestFacts {
  /** The presented client_id (not yet authenticated: may be anything the caller sent). */
  clientId?: string;
  /** How the client authenticated. */
  authMethod?: PresentedClientCredentials['method'];
  /** The `scope` parameter as sent. */
  requestedScope?: string;
  /** Whether the client authenticated (its client_id is then a registered one). */
  authenticated?: boolean;
  /** The `audience` (or else `resource`) parameter as sent. */
  requestedAudience?: string;
}

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
export interface ClientCredentialsGrantContext {
  /** Issuer identifier written as `iss`. */
  issuer: string;
  /** The client and its accepted secret hashes, or undefined for an unknown client_id. */
  findClient(clientId: string): Promise<ClientCredentials | undefined>;
  /**
   * True when `secret` matches one of `credentials`' unexpired hashes (constant time); a promise
   * when a slow legacy hash (adopted from Laravel Passport) has to be checked.
   */
  verifySecret(
    credentials: ClientCredentials | undefined,
    secret: string,
    nowSec: number,
  ): boolean | Promise<boolean>;
  /**
   * Checks a `private_key_jwt` assertion (see `verifyClientAssertion`); throws
   * `ClientAssertionRefused` with the reason. Absent: such assertions are refused.
   */
  verifyAssertion?(
    assertion: string,
    clientId: string,
    publicKeys: ClientPublicKeys,
    nowSec: number,
  ): Promise<void>;
  /**
   * Workload identity: when the assertion's (unverified) `iss` is a trusted issuer, the client
   * bound to its `sub` and a check of the token (throws `ClientAssertionRefused`); undefined when
   * the issuer is not trusted (the assertion is then a private_key_jwt one).
   */
  findFederated?(assertion: string): Promise<
    | {
        credentials: ClientCredentials | undefined;
        verify(nowSec: number): Promise<void>;
      }
    | undefined
  >;
  /** The active signing key, imported; undefined when the store has none. */
  signingKey(nowSec: number): Promise<AccessTokenSigningKey | undefined>;
  /**
   * Optional gate run with the presented client_id before the client is looked up or its secret
   * compared: throw an AuthServerError (e.g. `ERR_CLIENT_AUTH_RATE_LIMITED`) to refuse.
   */
  admitClient?(clientId: string, request: TokenRequest): void;
  /** Optional: told the outcome of every secret check (unknown and revoked clients fail). */
  clientAuthenticated?(clientId: string, ok: boolean, request: TokenRequest): void;
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
    refuseControlCharacters(
      tainted,
      presentedClientIdOrEmpty(params, request.authorization),
      request,
      context,
    );
  }
  const grantType = readParam(params, 'grant_type');
  if (grantType === undefined) throw new AuthServerError('ERR_GRANT_TYPE_MISSING');
  if (grantType !== 'client_credentials') {
    throw new AuthServerError('ERR_GRANT_TYPE_UNSUPPORTED', { cause: 'grant_type' });
  }
  const presented = extractClientCredentials(params, request.authorization);
  if (
    hasControlCharacters(presented.clientId) ||
    ('clientSecret' in presented && hasControlCharacters(presented.clientSecret))
  ) {
    // Only Basic credentials get here (body ones were checked above): %00 or a raw control byte.
    refuseControlCharacters('authorization', presented.clientId, request, context);
  }
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
  context.admitClient?.(presented.clientId, request);

  const nowSec = Math.floor(Date.now() / 1000);
  const federated =
    presented.method === 'private_key_jwt'
      ? await context.findFederated?.(presented.assertion)
      : undefined;
  const credentials =
    federated !== undefined ? federated.credentials : await context.findClient(presented.clientId);
  let refusal: string | undefined;
  if (federated !== undefined) {
    refusal = await checkFederated(federated, presented.clientId, request, nowSec);
  } else if (presented.method === 'private_key_jwt') {
    refusal = await checkAssertion(presented.assertion, credentials, context, nowSec);
  } else {
    // Always compare, even for an unknown or revoked client, so all three take the same path.
    const checked = context.verifySecret(credentials, presented.clientSecret, nowSec);
    // Awaited only when a legacy hash made it a promise: no microtask for the usual boolean.
    const secretOk = typeof checked === 'boolean' ? checked : await checked;
    if (credentials === undefined) refusal = 'unknown client_id';
    else if (credentials.client.revokedAt !== null) refusal = 'client revoked';
    else if (!secretOk) {
      refusal =
        credentials.publicKeys === undefined
          ? 'secret mismatch'
          : 'client authenticates with private_key_jwt';
    }
  }
  context.clientAuthenticated?.(presented.clientId, refusal === undefined, request);
  if (facts !== undefined) facts.authenticated = refusal === undefined && credentials !== undefined;
  if (refusal !== undefined || credentials === undefined) {
    throw new AuthServerError('ERR_CLIENT_AUTH_FAILED', { cause: refusal ?? 'unknown client_id' });
  }
  const { client } = credentials;
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

/** Parameters whose control characters are a client authentication failure (invalid_client). */
const CREDENTIAL_PARAMETERS: ReadonlySet<string> = new Set([
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'authorization',
]);
/** Parameters named in the private cause as they are; any other name may itself be tainted. */
const NAMED_PARAMETERS: ReadonlySet<string> = new Set([
  ...CREDENTIAL_PARAMETERS,
  'grant_type',
  'scope',
  'audience',
  'resource',
]);

/**
 * Refuses a request carrying control characters in parameter `where`, counting it as a failed
 * authentication of `clientId` like a wrong secret (so a flood of them meets the failure limits).
 */
function refuseControlCharacters(
  where: string,
  clientId: string,
  request: TokenRequest,
  context: ClientCredentialsGrantContext,
): never {
  if (request.facts !== undefined && clientId !== '') request.facts.clientId = clientId;
  context.admitClient?.(clientId, request);
  context.clientAuthenticated?.(clientId, false, request);
  const named = NAMED_PARAMETERS.has(where) ? where : 'a parameter';
  throw new AuthServerError(
    CREDENTIAL_PARAMETERS.has(where)
      ? 'ERR_CLIENT_AUTH_CONTROL_CHARACTERS'
      : 'ERR_REQUEST_PARAMETER_CONTROL_CHARACTERS',
    { cause: `control character in ${named}` },
  );
}

/** The client_id a request presents, for the failure limits, or '' when it presents none. */
function presentedClientIdOrEmpty(
  params: Record<string, unknown>,
  authorization: string | undefined,
): string {
  try {
    return extractClientCredentials(params, authorization).clientId;
  } catch {
    const bodyId = params['client_id'];
    return typeof bodyId === 'string' ? bodyId : '';
  }
}

/** Checks a client assertion; returns the refusal reason, or undefined when it authenticates. */
async function checkAssertion(
  assertion: string,
  credentials: ClientCredentials | undefined,
  context: ClientCredentialsGrantContext,
  nowSec: number,
): Promise<string | undefined> {
  if (credentials === undefined) {
    // An assertion whose sub could not be read names no client: say why it could not.
    try {
      parseStrictJws(assertion);
    } catch (err) {
      if (err instanceof JwsFormatError) return err.message;
      throw err;
    }
    return 'unknown client_id';
  }
  if (credentials.client.revokedAt !== null) return 'client revoked';
  if (credentials.publicKeys === undefined) return 'client has no registered public key';
  if (context.verifyAssertion === undefined) return 'private_key_jwt is not enabled';
  try {
    await context.verifyAssertion(
      assertion,
      credentials.client.clientId,
      credentials.publicKeys,
      nowSec,
    );
    return undefined;
  } catch (err) {
    if (err instanceof ClientAssertionRefused) return err.message;
    throw err;
  }
}

/** Checks a trusted issuer's token; returns the refusal reason, or undefined when it authenticates. */
async function checkFederated(
  federated: NonNullable<
    Awaited<ReturnType<NonNullable<ClientCredentialsGrantContext['findFederated']>>>
  >,
  presentedClientId: string,
  request: TokenRequest,
  nowSec: number,
): Promise<string | undefined> {
  const { credentials } = federated;
  if (credentials === undefined) return 'no client is bound to the federated subject';
  if (credentials.client.revokedAt !== null) return 'client revoked';
  const bodyId = request.params['client_id'];
  if (typeof bodyId === 'string' && bodyId !== '' && bodyId !== credentials.client.clientId) {
    return 'client_id is not the client bound to the federated subject';
  }
  if (presentedClientId === '') return 'federated token sub is missing';
  try {
    await federated.verify(nowSec);
    return undefined;
  } catch (err) {
    if (err instanceof ClientAssertionRefused) return err.message;
    throw err;
  }
}
