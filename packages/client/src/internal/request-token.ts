import { TokenClientError } from '../errors.js';
import type { ResolvedOptions } from './resolve-options.js';
import {
  type RetryableFailure,
  sendTokenRequest,
  type TokenResponse,
  type TokenTarget,
} from './send-token-request.js';

/**
 * Gets a token from the authorization server, retrying network errors, timeouts, 408, 429 and 5xx
 * with full-jitter exponential backoff, honouring `Retry-After`, until `totalTimeoutMs` has passed.
 * `totalTimeoutMs` is a hard bound: when it runs out during an attempt, the attempt is aborted and
 * the call rejects at once, whether or not the `fetch` in use honours the abort.
 *
 * Backoff before retry n (from 1): a random delay in [0, min(retryMaxDelayMs, retryBaseDelayMs·2ⁿ⁻¹)]
 * ("full jitter"), so many clients that failed together do not come back together. When the answer
 * carried `Retry-After`, the wait is that many seconds plus up to `retryBaseDelayMs` of jitter.
 *
 * @param options - Resolved client options.
 * @param target - Audience and scope of the token.
 * @returns The token response and the time the successful attempt started (Unix ms), from which
 *   `expires_in` is counted so the cached lifetime never exceeds the real one.
 * @throws TokenClientError `ERR_AUTH_SERVER_UNAVAILABLE` when the time is up (or `Retry-After`
 *   asks for a wait beyond it); any non-retryable code from {@link sendTokenRequest} at once.
 */
export async function requestToken(
  options: ResolvedOptions,
  target: TokenTarget,
): Promise<{ token: TokenResponse; startedAt: number }> {
  const deadline = Date.now() + options.totalTimeoutMs;
  // The hard bound: at the deadline the attempt in flight is aborted and the call rejects, even if
  // a `fetch` (a custom one, or a body that never ends) does not give up when aborted.
  const overall = new AbortController();
  let timeUp!: () => void;
  const deadlinePassed = new Promise<typeof DEADLINE>((resolve) => {
    timeUp = () => resolve(DEADLINE);
  });
  const timer = setTimeout(() => {
    overall.abort();
    timeUp();
  }, options.totalTimeoutMs);
  try {
    for (let attempt = 1; ; attempt++) {
      const startedAt = Date.now();
      const timeoutMs = Math.max(1, Math.min(options.requestTimeoutMs, deadline - startedAt));
      const sending = sendTokenRequest(options, target, timeoutMs, attempt, overall.signal);
      // If the deadline wins the race, a later rejection of the abandoned attempt is not an error.
      sending.catch(() => {});
      const outcome = await Promise.race([sending, deadlinePassed]);
      if (outcome === DEADLINE) {
        throw unavailable(
          options,
          { reason: `attempt ${attempt} still had no answer when totalTimeoutMs ran out` },
          attempt,
        );
      }
      if (outcome.ok) return { token: outcome.token, startedAt };

      const { failure } = outcome;
      const jitterMs =
        Math.random() *
        (failure.retryAfterSec === undefined
          ? Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** (attempt - 1))
          : options.retryBaseDelayMs);
      const delayMs = (failure.retryAfterSec ?? 0) * 1000 + jitterMs;
      if (Date.now() + delayMs >= deadline) throw unavailable(options, failure, attempt);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  } finally {
    clearTimeout(timer);
  }
}

/** What the deadline promise resolves to. */
const DEADLINE = Symbol('deadline');

function unavailable(
  options: ResolvedOptions,
  failure: RetryableFailure,
  attempts: number,
): TokenClientError {
  const retryAfter =
    failure.retryAfterSec === undefined ? '' : `, Retry-After ${failure.retryAfterSec} s`;
  return new TokenClientError(
    'ERR_AUTH_SERVER_UNAVAILABLE',
    `Authorization server ${options.tokenUrlForMessages} unavailable: ${failure.reason}${retryAfter} ` +
      `(${attempts} attempt${attempts === 1 ? '' : 's'} within totalTimeoutMs ${options.totalTimeoutMs})`,
    {
      status: failure.status,
      retryAfterSec: failure.retryAfterSec,
      attempts,
      cause: failure.cause,
    },
  );
}
