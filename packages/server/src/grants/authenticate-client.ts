import type { ClientCredentials, ClientRecord } from '../clients/client-store.js';
import { AuthServerError } from '../errors/auth-server-error.js';
import { ClientAssertionRefused } from './client-assertion-refused.js';
import { hasControlCharacters } from './internal/control-characters.js';
import {
  extractClientCredentials,
  type PresentedClientCredentials,
} from './internal/extract-client-credentials.js';
import { parseStrictJws } from './internal/parse-strict-jws.js';
import type { ClientAuthenticationContext, TokenRequest } from './token-request.js';

export type { ClientAuthenticationContext } from './token-request.js';

/** A client that authenticated, and how. */
export interface AuthenticatedClient {
  readonly client: ClientRecord;
  readonly credentials: ClientCredentials;
  readonly method: PresentedClientCredentials['method'];
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
 * Reads the credentials a request presents (RFC 6749 §2.3.1 Basic or body, RFC 7523 §2.2 client
 * assertion) and refuses control characters in them before any lookup, counting that as a failed
 * authentication (so a flood of them meets the failure limits).
 *
 * @throws AuthServerError `ERR_CLIENT_AUTH_CONTROL_CHARACTERS`, `ERR_CLIENT_AUTH_MULTIPLE_METHODS`,
 *   `ERR_CLIENT_AUTH_MISSING`, `ERR_CLIENT_AUTH_MALFORMED`, `ERR_CLIENT_AUTH_METHOD_UNSUPPORTED`,
 *   the parameter errors of a credential parameter, and whatever `admitClient` throws.
 */
export function readClientCredentials(
  request: TokenRequest,
  context: ClientAuthenticationContext,
): PresentedClientCredentials {
  for (const name of CREDENTIAL_PARAMETERS) {
    const value = request.params[name];
    if (typeof value === 'string' && hasControlCharacters(value)) {
      refuseControlCharacters(name, presentedClientIdOrEmpty(request), request, context);
    }
  }
  const presented = extractClientCredentials(request.params, request.authorization);
  if (
    hasControlCharacters(presented.clientId) ||
    ('clientSecret' in presented && hasControlCharacters(presented.clientSecret))
  ) {
    // Only Basic credentials get here (body ones were checked above): %00 or a raw control byte.
    refuseControlCharacters('authorization', presented.clientId, request, context);
  }
  return presented;
}

/**
 * Authenticates the client of a token, introspection or revocation request with the credentials
 * {@link readClientCredentials} read: a client secret (compared in constant time with every
 * unexpired hash, adopted Passport bcrypt/argon2id hashes included), a `private_key_jwt`
 * assertion (RFC 7523 §2.2 and §3: `aud` the issuer identifier, or the token endpoint URL unless
 * the settings refuse it; single-use `jti`), or a trusted issuer's token. The failure limits run
 * first (`admitClient`) and are told every outcome (`clientAuthenticated`).
 *
 * Unknown client, wrong secret, refused assertion and revoked client all fail with the same
 * `ERR_CLIENT_AUTH_FAILED` after the same work; the reason is the error's private `cause`.
 *
 * @throws AuthServerError `ERR_CLIENT_AUTH_FAILED`, whatever `admitClient` throws
 *   (`ERR_CLIENT_AUTH_RATE_LIMITED`), `ERR_STORE_UNAVAILABLE`.
 */
export async function authenticateClient(
  presented: PresentedClientCredentials,
  request: TokenRequest,
  context: ClientAuthenticationContext,
): Promise<AuthenticatedClient> {
  const { facts } = request;
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
  return { client: credentials.client, credentials, method: presented.method };
}

/**
 * Refuses a request carrying control characters in parameter `where`, counting it as a failed
 * authentication of `clientId` like a wrong secret (so a flood of them meets the failure limits).
 *
 * @throws AuthServerError `ERR_CLIENT_AUTH_CONTROL_CHARACTERS` for a credential parameter,
 *   `ERR_REQUEST_PARAMETER_CONTROL_CHARACTERS` for any other.
 */
export function refuseControlCharacters(
  where: string,
  clientId: string,
  request: TokenRequest,
  context: Pick<ClientAuthenticationContext, 'admitClient' | 'clientAuthenticated'>,
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
export function presentedClientIdOrEmpty(
  request: Pick<TokenRequest, 'params' | 'authorization'>,
): string {
  try {
    return extractClientCredentials(request.params, request.authorization).clientId;
  } catch {
    const bodyId = request.params['client_id'];
    return typeof bodyId === 'string' ? bodyId : '';
  }
}

/** Checks a client assertion; returns the refusal reason, or undefined when it authenticates. */
async function checkAssertion(
  assertion: string,
  credentials: ClientCredentials | undefined,
  context: ClientAuthenticationContext,
  nowSec: number,
): Promise<string | undefined> {
  if (credentials === undefined) {
    // An assertion whose sub could not be read names no client: say why it could not.
    try {
      parseStrictJws(assertion);
    } catch (err) {
      if (err instanceof ClientAssertionRefused) return err.message;
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
    Awaited<ReturnType<NonNullable<ClientAuthenticationContext['findFederated']>>>
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
