import { abortable } from './internal/abortable.js';
import { hasOnlyKnownNames, unknownOptionError } from './internal/check-option-names.js';
import { fetchWithToken } from './internal/fetch-with-token.js';
import { resolveOptions } from './internal/resolve-options.js';
import { TokenCache, type TokenSlot } from './internal/token-cache.js';
import {
  GET_TOKEN_OPTION_NAMES,
  type GetTokenOptions,
  TARGET_OPTION_NAMES,
  type TokenClientOptions,
  type TokenTargetOptions,
} from './token-client-options.js';

/** A client of the authorization server for one calling service; see {@link createTokenClient}. */
export interface TokenClient {
  /**
   * An access token for the audience and scope, from the cache when it holds one that is not
   * expired. Concurrent calls share one token request; a token within `refreshSkewSec` of expiry is
   * returned while a background request replaces it.
   *
   * @param options - Audience, scope (defaults: the client's) and an optional abort signal.
   * @returns The access token (without the `Bearer ` prefix).
   * @throws TokenClientError `ERR_INVALID_CLIENT`, `ERR_UNAUTHORIZED_CLIENT`, `ERR_INVALID_SCOPE`,
   *   `ERR_INVALID_TARGET`, `ERR_TOKEN_REQUEST_REJECTED` (not retried),
   *   `ERR_AUTH_SERVER_UNAVAILABLE` (after retries), `ERR_INVALID_TOKEN_RESPONSE`.
   * @throws TypeError for an invalid audience or scope, or an unknown option name.
   * @example
   * ```ts
   * const token = await auth.getToken({ audience: 'ms_doctor', scope: 'doctors:read' });
   * ```
   * @see RFC 6749 §4.4 (client credentials grant), RFC 8707 (resource indicators)
   */
  getToken(options?: GetTokenOptions): Promise<string>;

  /**
   * `fetch` with `Authorization: Bearer <token>` (RFC 6750 §2.1) for the audience and scope. When the
   * resource server answers 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750
   * §3.1), the token is discarded and the request sent once more with a new one, whatever the
   * token's age, if its body can be sent again (no streams) and fewer than 10 tokens of this
   * audience and scope were discarded in the last minute (a resource server that rejects every
   * token must not turn each call into a token request). Exactly one retry per call: any other
   * answer, including the second 401, is returned as it is.
   *
   * @param input - URL or Request, as for `fetch`.
   * @param init - As for `fetch`; an `authorization` header in it is replaced. `init.signal` also
   *   stops waiting for a token.
   * @param options - Audience and scope of the token (defaults: the client's).
   * @throws TokenClientError when no token can be obtained (codes as for `getToken`).
   * @throws TypeError for an invalid audience or scope or an unknown option name, and whatever
   *   `fetch` throws.
   * @example
   * ```ts
   * const res = await auth.fetch('http://doctors:3000/doctors/api/some-data', {}, { audience: 'ms_doctor' });
   * ```
   * @see RFC 6750 §2.1, §3.1
   */
  fetch(
    input: string | URL | Request,
    init?: RequestInit,
    options?: TokenTargetOptions,
  ): Promise<Response>;

  /**
   * Tells the client that a resource server refused `token` with `error="invalid_token"`
   * (RFC 6750 §3.1), for transports other than `client.fetch` (the undici and axios adapters use
   * it): the token leaves the cache, so the next `getToken` for the audience and scope requests a
   * new one (through the same single-flight). A token obtained less than a second ago is kept: a
   * resource server that refuses every token must not turn each call into a token request.
   *
   * @param token - the access token that was refused (without `Bearer `).
   * @param options - Audience and scope it was obtained for (defaults: the client's).
   * @returns true when sending the request once more with a new token is worth it (the token was
   *   discarded or had already been replaced); false when it was kept.
   * @throws TypeError for an invalid audience or scope.
   * @example
   * ```ts
   * if (res.status === 401 && auth.invalidateToken(token, { audience: 'ms_doctor' })) {
   *   token = await auth.getToken({ audience: 'ms_doctor' }); // and send once more
   * }
   * ```
   * @see RFC 6750 §3.1
   */
  invalidateToken(token: string, options?: TokenTargetOptions): boolean;
}

/**
 * Creates the client a calling service uses to get, cache and attach access tokens (OAuth 2.0
 * client credentials grant). Settings missing from `options` are read from `AUTH_URL`,
 * `OAUTH_CLIENT_ID` and `OAUTH_CLIENT_SECRET`.
 *
 * Tokens are cached in memory per (audience, scope) and refreshed `refreshSkewSec` before they
 * expire; token requests are retried on network errors, timeouts, 408, 429 (honouring
 * `Retry-After`) and 5xx with full-jitter backoff for at most `totalTimeoutMs`.
 *
 * @param options - See {@link TokenClientOptions}; all optional, units in the names.
 * @returns A {@link TokenClient}; its methods may be detached (`const { fetch } = auth`).
 * @throws TypeError at creation for a missing or invalid option, naming the option and its
 *   environment variable (never quoting a secret).
 * @example
 * ```ts
 * import { createTokenClient } from '@m2m-auth/client';
 *
 * // AUTH_URL=http://127.0.0.1:8080/oauth/token OAUTH_CLIENT_ID=… OAUTH_CLIENT_SECRET=…
 * const auth = createTokenClient();
 * const res = await auth.fetch('http://127.0.0.1:3001/doctors/api/some-data', {}, { audience: 'ms_doctor' });
 * console.log(res.status, await res.json());
 * ```
 * @see RFC 6749 §2.3.1 (client authentication), §4.4 (client credentials grant), §5 (token
 *   response and errors); RFC 6750 (Bearer tokens); RFC 8707 (resource indicators)
 */
export function createTokenClient(options: TokenClientOptions = {}): TokenClient {
  const resolved = resolveOptions(options);
  const cache = new TokenCache(resolved);
  const fetchImpl = resolved.fetch;

  const getToken = (tokenOptions?: GetTokenOptions): Promise<string> => {
    let slot: TokenSlot;
    try {
      slot = slotOf(cache, tokenOptions, GET_TOKEN_OPTION_NAMES, 'getToken');
    } catch (err) {
      return Promise.reject(err);
    }
    const token = cache.usable(slot);
    if (token !== undefined) return token.promise;
    return abortable(cache.get(slot), tokenOptions?.signal).then((t) => t.accessToken);
  };

  const fetchAuthorized = (
    input: string | URL | Request,
    init?: RequestInit,
    target?: TokenTargetOptions,
  ): Promise<Response> => {
    let slot: TokenSlot;
    try {
      slot = slotOf(cache, target, TARGET_OPTION_NAMES, 'fetch (third argument)');
    } catch (err) {
      return Promise.reject(err);
    }
    return fetchWithToken(cache, fetchImpl, slot, input, init);
  };

  const invalidateToken = (token: string, target?: TokenTargetOptions): boolean =>
    cache.discardAccessToken(cache.slot(target?.audience, target?.scope), token);

  return Object.freeze({ getToken, fetch: fetchAuthorized, invalidateToken });
}

/**
 * The cache slot of a call's audience and scope (the client's defaults for absent ones).
 *
 * @throws TypeError for an unknown option name, an invalid audience or scope.
 */
function slotOf(
  cache: TokenCache,
  target: TokenTargetOptions | undefined,
  known: readonly string[],
  owner: string,
): TokenSlot {
  if (target != null && !hasOnlyKnownNames(target, known)) {
    throw unknownOptionError(target, known, owner);
  }
  return cache.slot(target?.audience, target?.scope);
}
