import {
  type AuthInfo,
  type BearerErrorResponse,
  createBearerErrorResponse,
  isVerifierError,
  type Verifier,
  type VerifyOptions,
} from '../../index.js';

/**
 * What an adapter does with the outcome of {@link authenticateRequest}, in its framework's idiom.
 * Defined once per adapter (not per request) and handed the request's objects as arguments
 * `a`, `b`, `c`, so the hot path allocates no closure.
 */
export interface AuthenticateOutcome<A, B, C, R> {
  /** The token verified: attach `auth` to the request and go on. */
  accept(a: A, b: B, c: C, auth: AuthInfo): R;
  /** The token was refused: answer with `response` (RFC 6750 §3). */
  refuse(a: A, b: B, c: C, response: BearerErrorResponse): R;
  /** Anything other than a `VerifierError` (a bug): hand it to the framework's error handling. */
  fail(a: A, b: B, c: C, error: unknown): R;
}

/**
 * The one request path of every adapter, fastest first: a hit of the verified-token cache (no
 * promise, no allocation), then a synchronous verification with the keys at hand (no promise),
 * and only when neither decides the asynchronous `authenticate` (key load or refresh).
 *
 * @param verifier - the route's verifier.
 * @param verifyOptions - the route's frozen verify options (scopes), or `undefined`.
 * @param realm - `realm` of the challenge when the token is refused.
 * @param authorization - the `Authorization` header value(s), from `readAuthorizationHeader`.
 * @param outcome - the adapter's handlers; exactly one of them is called, once.
 * @returns what the handler returned, or a promise of it on the asynchronous path.
 */
export function authenticateRequest<A, B, C, R>(
  verifier: Verifier,
  verifyOptions: VerifyOptions | undefined,
  realm: string | undefined,
  authorization: string | readonly string[] | undefined,
  outcome: AuthenticateOutcome<A, B, C, R>,
  a: A,
  b: B,
  c: C,
): R | Promise<Awaited<R>> {
  const cached = verifier.authenticateCached(authorization, verifyOptions);
  if (cached !== undefined) return outcome.accept(a, b, c, cached);
  let auth: AuthInfo | undefined;
  try {
    auth = verifier.authenticateSync(authorization, verifyOptions);
  } catch (err) {
    return settleRefusal(outcome, realm, a, b, c, err);
  }
  if (auth !== undefined) return outcome.accept(a, b, c, auth);
  // `then` adopts a promise a handler returns (Hono's and Koa's `next()`), hence Awaited.
  return verifier.authenticate(authorization, verifyOptions).then(
    (verified) => outcome.accept(a, b, c, verified),
    (err: unknown) => settleRefusal(outcome, realm, a, b, c, err),
  ) as Promise<Awaited<R>>;
}

function settleRefusal<A, B, C, R>(
  outcome: AuthenticateOutcome<A, B, C, R>,
  realm: string | undefined,
  a: A,
  b: B,
  c: C,
  err: unknown,
): R {
  if (!isVerifierError(err)) return outcome.fail(a, b, c, err);
  return outcome.refuse(a, b, c, createBearerErrorResponse(err, { realm }));
}
