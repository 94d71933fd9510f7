import { TokenClientError } from '../errors.js';
import { checkAudience, normalizeScope } from './normalize-scope.js';
import { requestToken } from './request-token.js';
import type { ResolvedOptions } from './resolve-options.js';
import {
  DEFAULT_EXPIRES_IN_SEC,
  type TokenResponse,
  type TokenTarget,
} from './send-token-request.js';

/**
 * At most this many tokens of one slot are discarded after a resource server rejected them, per
 * {@link DISCARD_WINDOW_MS}; beyond it the 401 is returned without a retry. A token rejected once
 * is replaced whatever its age (it may have been revoked, or signed by a key the resource server
 * does not trust yet), but a misconfigured resource server that rejects every token must not turn
 * each outgoing call into a token request.
 */
export const MAX_DISCARDS_PER_WINDOW = 10;

/** The sliding window of {@link MAX_DISCARDS_PER_WINDOW}: one minute, in milliseconds. */
export const DISCARD_WINDOW_MS = 60_000;

/** A cached access token with everything a cache hit hands out, built once per token. */
export interface CachedToken {
  readonly accessToken: string;
  /** `Bearer <token>` (RFC 6750 §2.1). */
  readonly authorization: string;
  /** Already resolved with `accessToken`: a cache hit returns it without allocating. */
  readonly promise: Promise<string>;
  /** Fetch init used when the caller passed none. Frozen; shared by every such call. */
  readonly bareInit: RequestInit;
  /** From then on the token is still served but refreshed in the background, Unix ms. */
  readonly refreshAt: number;
  /** From then on the token is no longer served, Unix ms. */
  readonly expiresAt: number;
}

/** Cache entry of one (audience, scope). */
export interface TokenSlot extends TokenTarget {
  token: CachedToken | undefined;
  /** The token request in flight for this slot, shared by every caller (single-flight). */
  flight: Promise<CachedToken> | undefined;
  /** No background refresh starts before this time (set after one failed), Unix ms. */
  backgroundNotBefore: number;
  /** When this slot's last discards happened (Unix ms, oldest first, at most the bound). */
  discardedAt: number[];
}

/**
 * Tokens per (audience, scope): served from memory until their refresh time, then served while one
 * background request replaces them, then (once expired) replaced by one request all callers await.
 */
export class TokenCache {
  readonly #options: ResolvedOptions;
  /** Slots by the arguments exactly as callers pass them, so a hit needs no normalization. */
  readonly #byArguments = new Map<string | undefined, Map<string | undefined, TokenSlot>>();
  /** Slots by canonical (audience, scope), so equivalent arguments share one token. */
  readonly #byTarget = new Map<string, TokenSlot>();

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  /**
   * The slot of an (audience, scope); `undefined` arguments mean the client's defaults.
   *
   * @throws TypeError for an audience or scope that is not valid.
   */
  slot(audience: string | undefined, scope: string | readonly string[] | undefined): TokenSlot {
    const scopeKey = typeof scope === 'string' || scope === undefined ? scope : joinScope(scope);
    let byScope = this.#byArguments.get(audience);
    const found = byScope?.get(scopeKey);
    if (found !== undefined) return found;

    const target: TokenTarget = {
      audience:
        audience === undefined ? this.#options.audience : checkAudience(audience, 'audience'),
      scope: scope === undefined ? this.#options.scope : normalizeScope(scope, 'scope'),
    };
    const key = `${target.audience ?? ''}\n${target.scope ?? ''}`;
    let slot = this.#byTarget.get(key);
    if (slot === undefined) {
      slot = {
        ...target,
        token: undefined,
        flight: undefined,
        backgroundNotBefore: 0,
        discardedAt: [],
      };
      this.#byTarget.set(key, slot);
    }
    if (byScope === undefined) {
      byScope = new Map();
      this.#byArguments.set(audience, byScope);
    }
    byScope.set(scopeKey, slot);
    return slot;
  }

  /**
   * The slot's token if it may be used now, else undefined. Starts a background refresh when the
   * token is past its refresh time. Synchronous and allocation-free on a hit.
   */
  usable(slot: TokenSlot): CachedToken | undefined {
    const token = slot.token;
    if (token === undefined) return undefined;
    const now = Date.now();
    if (now < token.refreshAt) return token;
    if (now >= token.expiresAt) return undefined;
    if (slot.flight === undefined && now >= slot.backgroundNotBefore) {
      this.#refreshInBackground(slot);
    }
    return token;
  }

  /**
   * A token for the slot: the cached one if usable, else the one the request in flight brings (one
   * request for all concurrent callers).
   *
   * @throws TokenClientError from the token request.
   */
  get(slot: TokenSlot): Promise<CachedToken> {
    const token = this.usable(slot);
    if (token !== undefined) return Promise.resolve(token);
    return slot.flight ?? this.#startFlight(slot);
  }

  /**
   * Drops the slot's token after a resource server rejected it, whatever its age, unless it was
   * already replaced (then the retry uses the replacement and nothing is counted).
   *
   * @returns false when the token was kept because the slot already discarded
   *   {@link MAX_DISCARDS_PER_WINDOW} tokens in the last {@link DISCARD_WINDOW_MS} (so a retry
   *   would only send it again).
   */
  discard(slot: TokenSlot, token: CachedToken): boolean {
    if (slot.token !== token) return true;
    const now = Date.now();
    const recent = slot.discardedAt;
    while (recent.length > 0 && now - (recent[0] as number) >= DISCARD_WINDOW_MS) recent.shift();
    if (recent.length >= MAX_DISCARDS_PER_WINDOW) return false;
    recent.push(now);
    slot.token = undefined;
    return true;
  }

  /**
   * {@link TokenCache.discard} for a token known by its value (what adapters see on the wire).
   *
   * @returns true when a new token may be tried (discarded, or already replaced); false when the
   *   rejected token is the current one and too young to discard.
   */
  discardAccessToken(slot: TokenSlot, accessToken: string): boolean {
    const current = slot.token;
    if (current === undefined || current.accessToken !== accessToken) return true;
    return this.discard(slot, current);
  }

  #startFlight(slot: TokenSlot): Promise<CachedToken> {
    const flight = (async () => {
      try {
        const { token, startedAt } = await requestToken(this.#options, slot);
        const cached = cacheToken(token, startedAt, this.#options);
        slot.token = cached;
        return cached;
      } finally {
        slot.flight = undefined;
      }
    })();
    slot.flight = flight;
    return flight;
  }

  #refreshInBackground(slot: TokenSlot): void {
    this.#startFlight(slot).catch((err: TokenClientError) => {
      // The current token stays in use until it expires; try again after a pause, not on every call.
      slot.backgroundNotBefore = Date.now() + this.#options.retryMaxDelayMs;
      try {
        this.#options.onBackgroundRefreshError?.(err);
      } catch {
        // A failing error hook must not become an unhandled rejection.
      }
    });
  }
}

function joinScope(scope: readonly string[]): string | undefined {
  // Anything but an array is left for normalizeScope to reject.
  return Array.isArray(scope) ? scope.join(' ') : (scope as unknown as string);
}

/**
 * The cache entry of a token response. The token stops being served at the earliest of
 * `expires_in` (counted from when the request started) and the `exp` a JWT carries (local clock);
 * without either, after {@link DEFAULT_EXPIRES_IN_SEC}. The background refresh starts
 * `refreshSkewSec` before that, capped at half the lifetime.
 *
 * @throws TokenClientError `ERR_INVALID_TOKEN_RESPONSE` when the token's own `exp` has already
 *   passed on arrival (the client's clock is ahead of the server's, or the server is wrong).
 */
function cacheToken(
  token: TokenResponse,
  startedAt: number,
  options: ResolvedOptions,
): CachedToken {
  const { accessToken, expiresInSec, jwtExpSec } = token;
  const byExpiresIn =
    expiresInSec !== undefined
      ? startedAt + expiresInSec * 1000
      : jwtExpSec === undefined
        ? startedAt + DEFAULT_EXPIRES_IN_SEC * 1000
        : Number.POSITIVE_INFINITY;
  const expiresAt = Math.min(byExpiresIn, jwtExpSec === undefined ? byExpiresIn : jwtExpSec * 1000);
  const receivedAt = Date.now();
  if (expiresAt <= receivedAt) {
    throw new TokenClientError(
      'ERR_INVALID_TOKEN_RESPONSE',
      `The token endpoint ${options.tokenUrlForMessages} sent an access token whose exp has already passed by this host's clock; check the clocks of both hosts`,
    );
  }
  const lifetimeMs = expiresAt - startedAt;
  // A skew longer than half the lifetime would refresh short-lived tokens on nearly every call.
  const refreshAt = expiresAt - Math.min(options.refreshSkewMs, lifetimeMs / 2);
  const authorization = `Bearer ${accessToken}`;
  return Object.freeze({
    accessToken,
    authorization,
    promise: Promise.resolve(accessToken),
    bareInit: Object.freeze({ headers: Object.freeze({ authorization }) }),
    refreshAt,
    expiresAt,
  });
}
