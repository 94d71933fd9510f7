import { errors, flattenedVerify } from 'jose';
import { isVerifierError, VerifierError } from './errors.js';
import { extractBearerToken, peekBearerToken } from './extract-bearer-token.js';
import { checkJwsHeader } from './internal/check-jws-header.js';
import type { KeyRecord } from './internal/import-keys.js';
import { KeyStore } from './internal/key-store.js';
import { parseCompactJws } from './internal/parse-compact-jws.js';
import { parseJsonObject } from './internal/parse-json-object.js';
import { resolveOptions } from './internal/resolve-options.js';
import {
  checkTime,
  timeError,
  type ValidatedToken,
  validateClaims,
} from './internal/validate-claims.js';
import { VerifiedTokenCache } from './internal/verified-token-cache.js';
import type { AccessTokenClaims, AuthInfo, VerifierEvent } from './types.js';
import type { VerifierOptions } from './verifier-options.js';

/** Per-call options of {@link Verifier.verify} and {@link Verifier.authenticate}. */
export interface VerifyOptions {
  /**
   * Scopes this call requires on top of `requiredScopes` (exact strings). Missing ones fail with
   * `ERR_INSUFFICIENT_SCOPE`.
   */
  scopes?: readonly string[];
  /**
   * The "current time" for `exp`, `nbf` and `iat` (as jose's `currentDate`). Default: now. Key
   * refresh always follows the real clock.
   */
  currentDate?: Date;
}

/** Verifies access tokens locally; made by {@link createVerifier}. */
export interface Verifier {
  /**
   * Verifies a token (no `Bearer ` prefix) and returns its claims.
   *
   * @param token - the compact JWS.
   * @param options - extra required scopes, current date.
   * @returns the verified claims (frozen).
   * @throws VerifierError with any token code of ERRORS.md, `ERR_INSUFFICIENT_SCOPE` or
   *   `ERR_JWKS_UNAVAILABLE`.
   */
  verify(token: string, options?: VerifyOptions): Promise<AccessTokenClaims>;
  /**
   * Verifies the bearer token of an `Authorization` header: the framework-agnostic middleware.
   *
   * @param authorization - the header value, an array when sent several times
   *   (`readAuthorizationHeader(req.rawHeaders)`), or `undefined`.
   * @param options - extra required scopes, current date.
   * @returns who called and with which scopes (frozen).
   * @throws VerifierError; turn it into a response with `createBearerErrorResponse`.
   */
  authenticate(
    authorization: string | readonly string[] | undefined,
    options?: VerifyOptions,
  ): Promise<AuthInfo>;
  /**
   * The result of {@link Verifier.authenticate} straight from the verified-token cache, without
   * a promise: for adapters' hot path. Returns `undefined` whenever the full path is needed (not
   * cached, expired, scope missing, keys due for a refresh, cache off); never throws.
   */
  authenticateCached(
    authorization: string | readonly string[] | undefined,
    options?: VerifyOptions,
  ): AuthInfo | undefined;
  /**
   * Reloads the keys now (fetches the JWKS or re-reads the key file), e.g. at start-up to fail
   * fast or after an emergency revocation.
   *
   * @throws VerifierError `ERR_JWKS_UNAVAILABLE` when the key source cannot be read; keys
   *   already loaded are kept.
   */
  refreshKeys(): Promise<void>;
  /** `realm` for `WWW-Authenticate` challenges: the `realm` option or the first audience. */
  readonly realm: string | undefined;
}

/**
 * Creates a verifier of JWT access tokens (RFC 9068, or Laravel Passport tokens) that checks
 * signatures locally with the authorization server's public key(s): no call to the auth-service
 * per request and no client secret. jose does the cryptography; on top of it the verifier is
 * strict where libraries are lenient: canonical base64url only, no duplicate JSON members, the
 * token's size capped before parsing, JWE / unencoded / `crit` forms refused, `exp` required,
 * numeric dates finite numbers, `iss`/`aud`/scopes compared as exact strings, RSA keys under 2048
 * bits and non-signature JWKS entries ignored.
 *
 * Keys come from a PEM text, a PEM or JWKS file (re-read when it changes) or a JWKS URL (cached,
 * refreshed, refetched once on an unknown kid with a cooldown; while the URL is unreachable the
 * cached keys keep verifying and the outage is logged). See README "Key sources and refresh".
 *
 * @param options - see {@link VerifierOptions}; units are in the option names.
 * @returns a {@link Verifier}.
 * @throws TypeError for misused options (missing issuer/audience, two key sources, unreadable or
 *   weak key file, `alg: none`/HMAC, negative durations) — at construction, not at the first request.
 * @example
 * ```ts
 * import { createVerifier } from '@m2m-auth/verifier';
 *
 * const verifier = createVerifier({
 *   issuer: 'https://auth.internal',
 *   audience: 'ms_doctor',
 *   jwksUri: 'https://auth.internal/.well-known/jwks.json',
 * });
 * const { clientId, scopes } = await verifier.authenticate(req.headers.authorization);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveOptions(options);
  const { policy, algorithms, format, requiredScopes, maxTokenLength } = resolved;
  const cache =
    resolved.tokenCacheMaxEntries > 0
      ? new VerifiedTokenCache(resolved.tokenCacheMaxEntries)
      : undefined;
  const onEvent = options.onEvent;
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    throw new TypeError('onEvent must be a function');
  }
  /** Reports an event; the hook's own failure never changes a verification's result. */
  const report = (event: VerifierEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A metrics callback must not turn a valid token into a 500 (or a refusal into a crash).
    }
  };
  const keySource =
    options.jwksUri !== undefined
      ? 'jwks'
      : options.publicKey !== undefined
        ? 'public_key'
        : 'key_file';
  const keys = new KeyStore({
    loader: resolved.loader,
    ...(onEvent === undefined
      ? {}
      : { onLoaded: (outcome) => report({ type: 'keys_refreshed', outcome, source: keySource }) }),
    refreshSec: resolved.refreshSec,
    cooldownSec: resolved.cooldownSec,
    logger: resolved.logger,
    onDropped: () => cache?.dropUntrusted(),
  });
  // One frozen options object per algorithm, so a verification allocates none.
  const joseOptions = new Map(
    [...algorithms].map((alg) => [alg, Object.freeze({ algorithms: [alg] })]),
  );

  function lacksScope(token: ValidatedToken, scopes: readonly string[] | undefined): boolean {
    if (token.allScopes) return false;
    for (const scope of requiredScopes) if (!token.scopeSet.has(scope)) return true;
    if (scopes !== undefined)
      for (const scope of scopes) if (!token.scopeSet.has(scope)) return true;
    return false;
  }

  function checkScopes(token: ValidatedToken, scopes: readonly string[] | undefined): void {
    if (!lacksScope(token, scopes)) return;
    throw new VerifierError('ERR_INSUFFICIENT_SCOPE', 'token lacks a required scope', {
      requiredScopes: scopes === undefined ? requiredScopes : [...requiredScopes, ...scopes],
    });
  }

  async function resolveKey(
    kid: string | undefined,
    alg: string,
    nowMs: number,
  ): Promise<KeyRecord> {
    let record = keys.find(kid, alg);
    if (record === undefined) record = await keys.findAfterReload(kid, alg, nowMs);
    if (record === 'ambiguous') {
      throw new VerifierError('ERR_KEY_UNKNOWN', 'token has no kid and several keys fit its alg');
    }
    if (record === undefined) {
      if (keys.find(undefined, alg) === undefined && keys.isPem()) {
        throw new VerifierError(
          'ERR_ALGORITHM_NOT_ALLOWED',
          'alg header does not fit the configured key',
        );
      }
      throw new VerifierError('ERR_KEY_UNKNOWN', 'no trusted key matches the token kid');
    }
    return record;
  }

  async function verifyToken(
    token: unknown,
    options: VerifyOptions | undefined,
  ): Promise<ValidatedToken> {
    if (typeof token !== 'string')
      throw new VerifierError('ERR_TOKEN_MALFORMED', 'token is not a string');
    if (token.length > maxTokenLength) {
      throw new VerifierError('ERR_TOKEN_TOO_LARGE', 'token is longer than the allowed maximum');
    }
    const nowMs = Date.now();
    if (nowMs >= keys.softRefreshAt) await keys.refreshIfDue(nowMs);
    const nowSec = (options?.currentDate?.getTime() ?? nowMs) / 1000;

    if (cache !== undefined) {
      const entry = cache.get(token);
      if (entry !== undefined) {
        if (entry.record.trusted) {
          const cached = entry.token;
          const failure = checkTime(cached.exp, cached.nbf, cached.iat, policy, nowSec);
          if (failure !== undefined) throw timeError(failure);
          checkScopes(cached, options?.scopes);
          return cached;
        }
        cache.delete(token);
      }
    }

    const jws = parseCompactJws(token);
    const { alg, kid } = checkJwsHeader(jws.header, algorithms, format);
    const record = await resolveKey(kid, alg, nowMs);
    let payload: Uint8Array;
    try {
      ({ payload } = await flattenedVerify(
        { protected: jws.protectedHeader, payload: jws.payload, signature: jws.signature },
        record.key,
        joseOptions.get(alg),
      ));
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) {
        throw new VerifierError('ERR_SIGNATURE_INVALID', 'token signature is invalid', {
          cause: err,
        });
      }
      if (err instanceof errors.JOSEError) {
        throw new VerifierError('ERR_TOKEN_MALFORMED', 'token is not a valid JWS', { cause: err });
      }
      throw err;
    }
    const validated = validateClaims(parseJsonObject(payload, 'claims'), policy, nowSec);
    // Cached before the scope check: the token is valid, only this route wants more.
    if (cache !== undefined && record.trusted) {
      cache.set(token, { token: validated, record });
    }
    checkScopes(validated, options?.scopes);
    return validated;
  }

  /** Runs a verification and reports its outcome to `onEvent`. */
  async function reported<T>(run: () => Promise<T>): Promise<T> {
    if (onEvent === undefined) return run();
    let result: T;
    try {
      result = await run();
    } catch (err) {
      if (isVerifierError(err)) report({ type: 'token_refused', code: err.code });
      throw err;
    }
    report({ type: 'token_accepted', cached: false });
    return result;
  }

  return {
    realm: resolved.realm,
    verify(token, options) {
      return reported(async () => (await verifyToken(token, options)).auth.claims);
    },
    authenticate(authorization, options) {
      return reported(async () => {
        const token = extractBearerToken(authorization, maxTokenLength);
        return (await verifyToken(token, options)).auth;
      });
    },
    authenticateCached(authorization, options) {
      if (cache === undefined || typeof authorization !== 'string') return undefined;
      const token = peekBearerToken(authorization);
      if (token === undefined) return undefined;
      const nowMs = Date.now();
      if (nowMs >= keys.softRefreshAt) return undefined;
      const entry = cache.get(token);
      if (entry === undefined || !entry.record.trusted) return undefined;
      const cached = entry.token;
      const nowSec = (options?.currentDate?.getTime() ?? nowMs) / 1000;
      if (checkTime(cached.exp, cached.nbf, cached.iat, policy, nowSec) !== undefined)
        return undefined;
      if (lacksScope(cached, options?.scopes)) return undefined;
      if (onEvent !== undefined) report({ type: 'token_accepted', cached: true });
      return cached.auth;
    },
    refreshKeys() {
      return keys.reload();
    },
  };
}
