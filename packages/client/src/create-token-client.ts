import type { KeyObject } from 'node:crypto';
import type { TokenClientError } from './errors.js';
import { abortable } from './internal/abortable.js';
import { hasOnlyKnownNames, unknownOptionError } from './internal/check-option-names.js';
import { fetchWithToken } from './internal/fetch-with-token.js';
import { resolveOptions } from './internal/resolve-options.js';
import { TokenCache } from './internal/token-cache.js';

/**
 * How the client authenticates at the token endpoint: with its secret (RFC 6749 §2.3.1), or with a
 * JWT signed by its private key (`private_key_jwt`, RFC 7523 §2.2).
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * Options of {@link createTokenClient}. Every option is optional; `tokenUrl`, `clientId` and
 * `clientSecret` then come from the environment.
 */
export interface TokenClientOptions {
  /**
   * The authorization server's token endpoint (RFC 6749 §3.2), e.g.
   * `http://auth:8080/oauth/token`. A URL with no path (`http://auth:8080`) means the server
   * itself, and `/oauth/token` is appended. Default: env `AUTH_URL`.
   */
  tokenUrl?: string | URL;
  /** The client_id (RFC 6749 §2.2). Default: env `OAUTH_CLIENT_ID`. */
  clientId?: string;
  /** The client secret (RFC 6749 §2.3.1). Never logged or put in messages. Default: env `OAUTH_CLIENT_SECRET`. */
  clientSecret?: string;
  /**
   * The client's private key (PEM text or a `KeyObject`) for `private_key_jwt` (RFC 7523 §2.2):
   * each token request carries a fresh assertion signed with it (new `jti`, 30 s lifetime, `aud`
   * the issuer). RSA (RS256, or PS256 with `signingAlg`), EC P-256 (ES256) or Ed25519 (EdDSA).
   * Give one credential: `clientSecret`, `privateKey`, `privateKeyPath` or `assertionPath`.
   */
  privateKey?: string | KeyObject;
  /** File holding the private key (read once, at creation). Default: env `OAUTH_CLIENT_KEY_PATH`. */
  privateKeyPath?: string;
  /** Algorithm of the assertions when the key allows two (RSA: RS256 default, or PS256). */
  signingAlg?: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  /**
   * The authorization server's issuer identifier, the `aud` of assertions. Default: read once from
   * its metadata (RFC 8414) at `<origin of tokenUrl>/.well-known/oauth-authorization-server`.
   */
  issuer?: string;
  /**
   * File holding a JWT issued to this service by its platform (e.g. a Kubernetes projected
   * service-account token), sent as `client_assertion`. Read on every token request, since the
   * platform rotates it on disk. Default: env `OAUTH_CLIENT_ASSERTION_PATH`.
   */
  assertionPath?: string;
  /**
   * `client_secret_basic` (HTTP Basic, the default) or `client_secret_post` (credentials in the
   * form body), RFC 6749 §2.3.1.
   */
  authMethod?: ClientAuthMethod;
  /** Audience (resource server, RFC 8707) of tokens when a call names none. Default: none sent. */
  audience?: string;
  /** Scope (RFC 6749 §3.3) of tokens when a call names none: space-delimited or a list. Default: none sent. */
  scope?: string | readonly string[];
  /**
   * Seconds before a token expires at which it is refreshed in the background (the current token is
   * still served meanwhile). Capped at half the token's lifetime. Default: 60.
   */
  refreshSkewSec?: number;
  /** Time allowed for one token request attempt, milliseconds. Default: 10 000. */
  requestTimeoutMs?: number;
  /**
   * Time allowed for getting one token, retries and waits included, milliseconds; after it the call
   * fails with `ERR_AUTH_SERVER_UNAVAILABLE`. Default: 30 000.
   */
  totalTimeoutMs?: number;
  /** Base of the exponential backoff between retries, milliseconds. Default: 100. */
  retryBaseDelayMs?: number;
  /**
   * Longest backoff between retries, milliseconds; also the pause after a failed background refresh
   * before the next one. Default: 5 000.
   */
  retryMaxDelayMs?: number;
  /**
   * Send the client secret to an `http://` token URL whose host is not loopback (`localhost`,
   * `127.0.0.0/8`, `[::1]`). Default false, or `OAUTH_ALLOW_INSECURE_HTTP=true` (or `1`): without
   * it, creation fails with a TypeError, since the secret would cross the network in clear text
   * (RFC 6749 §2.3.1 and §3.2 require TLS). Only for a network you trust end to end.
   */
  allowInsecureHttp?: boolean;
  /**
   * Where to read `AUTH_URL`, `OAUTH_CLIENT_ID`, `OAUTH_CLIENT_SECRET` and
   * `OAUTH_ALLOW_INSECURE_HTTP`. Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The fetch used for token requests and `client.fetch`. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /**
   * Called when a background refresh fails (the current token keeps being served until it
   * expires). The error carries no secret or token. Default: none.
   */
  onBackgroundRefreshError?: (error: TokenClientError) => void;
}

/** Which token a call needs. Absent fields take the client's default `audience` and `scope`. */
export interface TokenTargetOptions {
  /** Audience (resource server, RFC 8707) the token is for, e.g. `ms_doctor`. */
  audience?: string;
  /** Scope (RFC 6749 §3.3): space-delimited or a list; order and duplicates do not matter. */
  scope?: string | readonly string[];
}

/** Every name of {@link TokenTargetOptions}. */
const TARGET_OPTION_NAMES = [
  'audience',
  'scope',
] as const satisfies readonly (keyof TokenTargetOptions)[];

/** Options of {@link TokenClient.getToken}. */
export interface GetTokenOptions extends TokenTargetOptions {
  /** Stops this caller waiting (rejecting with the signal's reason); a shared request goes on. */
  signal?: AbortSignal;
}

/** Every name of {@link GetTokenOptions}. */
const GET_TOKEN_OPTION_NAMES = [
  ...TARGET_OPTION_NAMES,
  'signal',
] as const satisfies readonly (keyof GetTokenOptions)[];

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
    if (tokenOptions != null && !hasOnlyKnownNames(tokenOptions, GET_TOKEN_OPTION_NAMES)) {
      return Promise.reject(unknownName(tokenOptions, GET_TOKEN_OPTION_NAMES, 'getToken'));
    }
    let slot: ReturnType<TokenCache['slot']>;
    try {
      slot = cache.slot(tokenOptions?.audience, tokenOptions?.scope);
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
    if (target != null && !hasOnlyKnownNames(target, TARGET_OPTION_NAMES)) {
      return Promise.reject(unknownName(target, TARGET_OPTION_NAMES, 'fetch (third argument)'));
    }
    let slot: ReturnType<TokenCache['slot']>;
    try {
      slot = cache.slot(target?.audience, target?.scope);
    } catch (err) {
      return Promise.reject(err);
    }
    return fetchWithToken(cache, fetchImpl, slot, input, init);
  };

  const invalidateToken = (token: string, target?: TokenTargetOptions): boolean =>
    cache.discardAccessToken(cache.slot(target?.audience, target?.scope), token);

  return Object.freeze({ getToken, fetch: fetchAuthorized, invalidateToken });
}

function unknownName(options: object, known: readonly string[], owner: string): TypeError {
  const name = Object.keys(options).find((key) => !known.includes(key)) ?? '';
  return unknownOptionError(name, known, owner);
}
