/**
 * undici adapter: an interceptor for `agent.compose(...)` that attaches access tokens to requests
 * for the configured origins and sends a request once more after a 401 `invalid_token`. undici is a
 * type-only import and an optional peer dependency (undici 7's handler API).
 */
import type { Dispatcher } from 'undici';
import type { TokenClient } from '../create-token-client.js';
import { isInvalidTokenChallenge } from '../internal/fetch-with-token.js';
import type { TokenTargetOptions } from '../token-client-options.js';
import {
  type OriginTargets,
  originOf,
  resolveAdapterOptions,
} from './internal/resolve-origin-targets.js';

/** Options of {@link createTokenInterceptor}. */
export interface TokenInterceptorOptions {
  /** The token client made once per process with `createTokenClient`. */
  client: TokenClient;
  /**
   * The origins that get tokens (`scheme://host[:port]`, nothing else), each with the audience
   * and scope of its tokens (defaults: the client's). Requests to any other origin — including
   * the next hop of a redirect — are sent as they are, without a token.
   */
  origins: Readonly<Record<string, TokenTargetOptions>>;
  /** Allow plain-http origins on non-loopback hosts (a trusted private network). Default false. */
  allowInsecureHttp?: boolean;
}

/**
 * An undici interceptor that sets `Authorization: Bearer <token>` (RFC 6750 §2.1) on requests to
 * the configured origins, with tokens from `client.getToken` (the same cache and single-flight).
 * When such a request is answered 401 with `WWW-Authenticate: Bearer error="invalid_token"`
 * (RFC 6750 §3.1) and its body can be sent again (none, a string or bytes), the token is
 * invalidated and the request sent once more with a new one, unless the token was obtained less
 * than a second ago; the caller then sees only the second answer. Other requests pass untouched.
 * The origin is checked on every dispatch, so a redirect followed by `interceptors.redirect` (or
 * by `fetch`) to another origin carries no token of ours.
 *
 * @param options - client, origins, allowInsecureHttp.
 * @returns the interceptor, for `agent.compose(...)`.
 * @throws TypeError for an unknown option name, a missing client, an origin that is not a bare
 *   http(s) origin (or plain http off loopback), or an invalid audience or scope — at creation.
 *   Errors getting a token (`TokenClientError`) reach the request's `onResponseError`: `request`
 *   and `fetch` reject with them.
 * @example
 * ```ts
 * import { Agent, interceptors, request } from 'undici';
 * import { createTokenClient } from '@m2m-auth/client';
 * import { createTokenInterceptor } from '@m2m-auth/client/undici';
 *
 * const client = createTokenClient();
 * const dispatcher = new Agent().compose(
 *   createTokenInterceptor({ client, origins: { 'https://doctors.internal': { audience: 'ms_doctor' } } }),
 * );
 * const { statusCode, body } = await request('https://doctors.internal/doctors', { dispatcher });
 * ```
 * @see RFC 6750 §2.1, §3.1
 */
export function createTokenInterceptor(
  options: TokenInterceptorOptions,
): Dispatcher.DispatcherComposeInterceptor {
  const { client, targets } = resolveAdapterOptions('createTokenInterceptor', options);
  return (dispatch) =>
    function tokenInterceptor(opts, handler) {
      const target = targetOf(targets, opts.origin);
      if (target === undefined) return dispatch(opts, handler);
      sendWithToken(client, dispatch, opts, handler, target, isReplayable(opts.body));
      return true;
    };
}

type Dispatch = Dispatcher.Dispatch;

function targetOf(
  targets: OriginTargets,
  origin: string | URL | undefined,
): Readonly<TokenTargetOptions> | undefined {
  if (origin === undefined) return undefined;
  const key = originOf(origin);
  return key === undefined ? undefined : targets.get(key);
}

function sendWithToken(
  client: TokenClient,
  dispatch: Dispatch,
  opts: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
  target: Readonly<TokenTargetOptions>,
  mayRetry: boolean,
): void {
  client.getToken(target).then(
    (token) => {
      const authorized = { ...opts, headers: withAuthorization(opts.headers, `Bearer ${token}`) };
      const retryHandler = mayRetry
        ? new InvalidTokenRetryHandler(
            handler,
            () => client.invalidateToken(token, target),
            () => sendWithToken(client, dispatch, opts, handler, target, false),
          )
        : handler;
      try {
        dispatch(authorized, retryHandler);
      } catch (err) {
        fail(handler, err);
      }
    },
    (err: unknown) => fail(handler, err),
  );
}

function fail(handler: Dispatcher.DispatchHandler, err: unknown): void {
  // Before the request started there is no controller (undici's own dns interceptor does this).
  handler.onResponseError?.(null as unknown as Dispatcher.DispatchController, err as Error);
}

/**
 * Passes everything to the caller's handler, except a 401 `invalid_token` answer whose token
 * `invalidate()` discarded: that answer is dropped, `resend()` sends the request again once it
 * ended, and the caller sees the next answer.
 */
class InvalidTokenRetryHandler implements Dispatcher.DispatchHandler {
  readonly #handler: Dispatcher.DispatchHandler;
  readonly #invalidate: () => boolean;
  readonly #resend: () => void;
  #retrying = false;

  constructor(handler: Dispatcher.DispatchHandler, invalidate: () => boolean, resend: () => void) {
    this.#handler = handler;
    this.#invalidate = invalidate;
    this.#resend = resend;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    socket: import('node:stream').Duplex,
  ): void {
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (
      statusCode === 401 &&
      isInvalidTokenChallenge(joined(headers['www-authenticate'])) &&
      this.#invalidate()
    ) {
      this.#retrying = true;
      return;
    }
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#retrying) this.#handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.#retrying) {
      this.#resend();
      return;
    }
    this.#handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#handler.onResponseError?.(controller, error);
  }
}

function joined(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? value : value.join(', ');
}

/** A body undici can send twice: none, a string or bytes (not a stream, iterable or form). */
function isReplayable(body: unknown): boolean {
  return (
    body === undefined || body === null || typeof body === 'string' || ArrayBuffer.isView(body)
  );
}

/**
 * The request's headers with our Authorization instead of any the caller set, in a new flat
 * `[name, value, …]` list or object; the caller's headers are never modified.
 */
function withAuthorization(
  headers: Dispatcher.DispatchOptions['headers'],
  authorization: string,
): string[] | Record<string, string | string[] | undefined> {
  if (headers === undefined || headers === null) return { authorization };
  const flat: string[] = [];
  const add = (name: string, value: string | string[] | undefined) => {
    if (value === undefined || name.toLowerCase() === 'authorization') return;
    if (Array.isArray(value)) for (const one of value) flat.push(name, one);
    else flat.push(name, value);
  };
  if (Array.isArray(headers) && (headers.length === 0 || !Array.isArray(headers[0]))) {
    const list = headers as unknown as string[];
    for (let i = 0; i + 1 < list.length; i += 2) add(String(list[i]), String(list[i + 1]));
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) {
      add(name, value);
    }
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  }
  flat.push('authorization', authorization);
  return flat;
}
