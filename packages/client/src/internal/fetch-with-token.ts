import { abortable } from './abortable.js';
import type { CachedToken, TokenCache, TokenSlot } from './token-cache.js';

/**
 * `fetch` with `Authorization: Bearer <token>` for the slot's audience and scope; on a 401 whose
 * `WWW-Authenticate` says `error="invalid_token"` (RFC 6750 §3.1) it discards the token, gets a new
 * one and sends the request once more, if its body can be sent again.
 *
 * A cache hit calls `fetch` at once: no await before the request, no Headers object when the
 * caller passed no headers.
 */
export async function fetchWithToken(
  cache: TokenCache,
  fetchImpl: typeof globalThis.fetch,
  slot: TokenSlot,
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<Response> {
  const signal = init?.signal;
  const token = cache.usable(slot) ?? (await abortable(cache.get(slot), signal));
  const response = await fetchImpl(input, authorize(input, init, token));
  if (
    response.status !== 401 ||
    !isInvalidTokenChallenge(response.headers.get('www-authenticate')) ||
    !isReplayable(input, init) ||
    !cache.discard(slot, token)
  ) {
    return response;
  }
  // Free the connection held by the unread body of the rejected attempt.
  await response.body?.cancel().catch(() => {});
  const fresh = await abortable(cache.get(slot), signal);
  return fetchImpl(input, authorize(input, init, fresh));
}

/** The caller's init with our Authorization header; the caller's objects are never modified. */
function authorize(
  input: string | URL | Request,
  init: RequestInit | undefined,
  token: CachedToken,
): RequestInit {
  const headers = init?.headers;
  if (headers === undefined && !(input instanceof Request)) {
    return init === undefined ? token.bareInit : { ...init, headers: token.bareInit.headers };
  }
  // As in fetch itself, init.headers replaces the headers of a Request given as input.
  const merged = new Headers(headers ?? (input as Request).headers);
  merged.set('authorization', token.authorization);
  return { ...init, headers: merged };
}

/**
 * Whether a `WWW-Authenticate` value carries `error="invalid_token"` (RFC 6750 §3, §3.1): the token
 * is expired, revoked or otherwise not accepted, so a new one may succeed. Other 401s (no token
 * expected, another scheme) and `insufficient_scope` (403) are not retried.
 */
export function isInvalidTokenChallenge(header: string | null): boolean {
  return header !== null && /(?:^|[\s,])error\s*=\s*"?invalid_token"?\s*(?:,|$)/i.test(header);
}

/**
 * Whether the request can be sent a second time: bodies held in memory can, streams (including the
 * body of a `Request` given as input) cannot.
 */
export function isReplayable(
  input: string | URL | Request,
  init: RequestInit | undefined,
): boolean {
  const body = init?.body;
  if (body === undefined) return !(input instanceof Request) || input.body === null;
  return (
    body === null ||
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData
  );
}
