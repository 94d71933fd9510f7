/**
 * axios adapter: a request interceptor that attaches access tokens to requests for the configured
 * origins, and a response interceptor that sends a request once more after a 401
 * `invalid_token`. axios is a type-only import and an optional peer dependency.
 */
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { TokenClient } from '../create-token-client.js';
import { isInvalidTokenChallenge } from '../internal/fetch-with-token.js';
import type { TokenTargetOptions } from '../token-client-options.js';
import { originOf, resolveAdapterOptions } from './internal/resolve-origin-targets.js';

/** Options of {@link attachTokenInterceptors}. */
export interface AxiosTokenOptions {
  /** The token client made once per process with `createTokenClient`. */
  client: TokenClient;
  /**
   * The origins that get tokens (`scheme://host[:port]`, nothing else), each with the audience
   * and scope of its tokens (defaults: the client's). Requests to any other origin — and the next
   * hop of a redirect that leaves the origin — are sent without a token.
   */
  origins: Readonly<Record<string, TokenTargetOptions>>;
  /** Allow plain-http origins on non-loopback hosts (a trusted private network). Default false. */
  allowInsecureHttp?: boolean;
}

/** What the request interceptor notes on a request config it authorized. */
interface Authorized {
  readonly token: string;
  readonly target: Readonly<TokenTargetOptions>;
}

/**
 * The flag of a retried request. A string key, not a symbol: axios copies a config's own
 * enumerable string keys when `instance.request(config)` merges it.
 */
const RETRIED = 'm2mAuthRetried';

/**
 * Adds two interceptors to an axios instance: one sets `Authorization: Bearer <token>` (RFC 6750
 * §2.1) on requests to the configured origins, with tokens from `client.getToken` (the same cache
 * and single-flight), and strips it from any redirect that leaves the origin; the other, when such
 * a request is answered 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1)
 * and its body is not a stream, invalidates the token and sends the request once more with a new
 * one (unless the token was obtained less than a second ago). Requests to other origins pass
 * untouched.
 *
 * @param instance - the axios instance (`axios.create()`, or the default `axios`).
 * @param options - client, origins, allowInsecureHttp.
 * @returns a function that removes both interceptors.
 * @throws TypeError for an unknown option name, a missing client, an origin that is not a bare
 *   http(s) origin (or plain http off loopback), or an invalid audience or scope — at once.
 *   Requests reject with the `TokenClientError` when no token can be obtained.
 * @example
 * ```ts
 * import axios from 'axios';
 * import { createTokenClient } from '@m2m-auth/client';
 * import { attachTokenInterceptors } from '@m2m-auth/client/axios';
 *
 * const http = axios.create();
 * attachTokenInterceptors(http, {
 *   client: createTokenClient(),
 *   origins: { 'https://doctors.internal': { audience: 'ms_doctor', scope: 'doctors:read' } },
 * });
 * const { data } = await http.get('https://doctors.internal/doctors');
 * ```
 * @see RFC 6750 §2.1, §3.1
 */
export function attachTokenInterceptors(
  instance: AxiosInstance,
  options: AxiosTokenOptions,
): () => void {
  if (typeof instance?.interceptors?.request?.use !== 'function') {
    throw new TypeError('attachTokenInterceptors needs an axios instance');
  }
  const { client, targets } = resolveAdapterOptions('attachTokenInterceptors', options);
  const authorized = new WeakMap<InternalAxiosRequestConfig, Authorized>();

  const requestId = instance.interceptors.request.use(async (config) => {
    const origin = originOf(instance.getUri(config));
    const target = origin === undefined ? undefined : targets.get(origin);
    if (target === undefined || origin === undefined) return config;
    const token = await client.getToken(target);
    config.headers.set('Authorization', `Bearer ${token}`);
    config.beforeRedirect = stripOffOrigin(origin, config.beforeRedirect);
    authorized.set(config, { token, target });
    return config;
  });

  const retry = (response: AxiosResponse | undefined): Promise<AxiosResponse> | undefined => {
    if (response === undefined || response.status !== 401) return undefined;
    const config = response.config;
    const used = authorized.get(config);
    if (
      used === undefined ||
      (config as unknown as Record<string, unknown>)[RETRIED] === true ||
      !isInvalidTokenChallenge(headerValue(response.headers['www-authenticate'])) ||
      isStream(config.data) ||
      !client.invalidateToken(used.token, used.target)
    ) {
      return undefined;
    }
    // The request interceptor attaches a new token; it also sets beforeRedirect again.
    config.headers.delete('Authorization');
    return instance.request({ ...config, [RETRIED]: true } as InternalAxiosRequestConfig);
  };

  const responseId = instance.interceptors.response.use(
    (response) => retry(response) ?? response,
    (error: AxiosError) => retry(error?.response) ?? Promise.reject(error),
  );

  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}

type BeforeRedirect = InternalAxiosRequestConfig['beforeRedirect'];

/**
 * A follow-redirects hook (Node's http adapter) that removes Authorization from every hop whose
 * origin is not `origin`: follow-redirects itself keeps it for subdomains, and a token is for one
 * origin only. The caller's own hook runs after it.
 */
function stripOffOrigin(origin: string, next: BeforeRedirect): BeforeRedirect {
  return (redirectOptions, responseDetails, ...rest) => {
    const hop = redirectOptions as Record<string, unknown> & {
      href?: string;
      headers?: Record<string, unknown>;
    };
    if (hop.href === undefined || originOf(hop.href) !== origin) {
      for (const name of Object.keys(hop.headers ?? {})) {
        if (name.toLowerCase() === 'authorization') delete hop.headers?.[name];
      }
    }
    (next as ((...args: unknown[]) => void) | undefined)?.(
      redirectOptions,
      responseDetails,
      ...rest,
    );
  };
}

function headerValue(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(', ');
  return null;
}

function isStream(data: unknown): boolean {
  return typeof (data as { pipe?: unknown } | null)?.pipe === 'function';
}
