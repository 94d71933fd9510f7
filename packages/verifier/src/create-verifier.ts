import { describeVerifierError, isVerifierError, VerifierError } from './errors.js';
import { extractBearerToken, peekBearerToken } from './extract-bearer-token.js';
import { checkJwsHeader } from './internal/check-jws-header.js';
import { hasOnlyKnownNames, unknownOptionError } from './internal/check-option-names.js';
import type { KeyRecord } from './internal/import-keys.js';
import { KeyStore } from './internal/key-store.js';
import { type CompactJws, parseCompactJws } from './internal/parse-compact-jws.js';
import { parseJsonObject } from './internal/parse-json-object.js';
import { resolveOptions } from './internal/resolve-options.js';
import { RevocationFeed } from './internal/revocation-feed.js';
import {
  checkTime,
  hasScope,
  timeError,
  type ValidatedToken,
  validateClaims,
} from './internal/validate-claims.js';
import { VerifiedTokenCache } from './internal/verified-token-cache.js';
import type {
  AccessTokenClaims,
  AuthInfo,
  RevocationStatus,
  TokenFormat,
  VerifierEvent,
} from './types.js';
import type { TokenSourceOptions, VerifierOptions } from './verifier-options.js';
import { verifyJwsSignature } from './verify-jws-signature.js';

/** An RFC 7638 SHA-256 JWK thumbprint: 32 bytes, base64url without padding. */
const THUMBPRINT_KID = /^[A-Za-z0-9_-]{43}$/;

/** Every name of {@link VerifyOptions}; a call with another one throws TypeError. */
const VERIFY_OPTION_NAMES = [
  'scopes',
  'currentDate',
] as const satisfies readonly (keyof VerifyOptions)[];

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
   * {@link Verifier.authenticate} done synchronously when it can be: with the keys at hand and no
   * key refresh due, a token is verified without a promise (node:crypto's `verify` is
   * synchronous), which saves adapters a promise and a microtask hop per request. Returns
   * `undefined` when the asynchronous path is needed (keys not loaded yet or due for a refresh,
   * or a kid not among the keys at hand): then call `authenticate`.
   *
   * @param authorization - as for {@link Verifier.authenticate}.
   * @param options - extra required scopes, current date.
   * @returns who called and with which scopes (frozen), or `undefined`.
   * @throws VerifierError exactly as `authenticate` rejects, except `ERR_JWKS_UNAVAILABLE` and
   *   `ERR_KEY_UNKNOWN` after a reload, which only the asynchronous path reports.
   */
  authenticateSync(
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
  /**
   * The state of the revocation feed's local copy (when fetched, how old, stale or not, how many
   * entries, the last fetch error), or undefined without `revocationsUri`.
   */
  revocationStatus(): RevocationStatus | undefined;
  /** Stops background work (the revocation feed's polling). The verifier keeps verifying. */
  close(): void;
}

/**
 * Creates a verifier of JWT access tokens (RFC 9068, or Laravel Passport tokens) that checks
 * signatures locally with the authorization server's public key(s): no call to the auth-service
 * per request and no client secret. jose imports the keys; signatures are checked with node:crypto's
 * synchronous `verify` ({@link verifyJwsSignature}, cross-checked against jose in tests). On top of
 * that the verifier is strict where libraries are lenient: canonical base64url only, no duplicate JSON members, the
 * token's size capped before parsing, JWE / unencoded / `crit` forms refused, `exp` required,
 * numeric dates numbers from 0 to year 9999, `iss`/`aud`/scopes compared as exact strings, RSA keys under 2048
 * bits and non-signature JWKS entries ignored.
 *
 * Keys come from a PEM text, a PEM or JWKS file (re-read when it changes) or a JWKS URL (cached,
 * refreshed, refetched once on an unknown kid with a cooldown; while the URL is unreachable the
 * cached keys keep verifying and the outage is logged). See README "Key sources and refresh".
 *
 * @param options - see {@link VerifierOptions}; units are in the option names.
 * @returns a {@link Verifier}.
 * @throws TypeError for misused options (an unknown option name, naming the closest valid one;
 *   missing issuer/audience, two key sources, unreadable or weak key file, `alg: none`/HMAC,
 *   negative durations) — at construction, not at the first request.
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
  if (typeof options === 'object' && options !== null && options.sources !== undefined) {
    return createMultiSourceVerifier(options);
  }
  const report = eventReporter(options);
  const core = createCore(options, undefined, report);
  return withEvents(
    {
      realm: core.realm,
      async verify(token, verifyOptions) {
        checkVerifyOptions(verifyOptions);
        return (await core.verifyToken(token, verifyOptions)).auth.claims;
      },
      async authenticate(authorization, verifyOptions) {
        checkVerifyOptions(verifyOptions);
        const token = extractBearerToken(authorization, core.maxTokenLength);
        return (await core.verifyToken(token, verifyOptions)).auth;
      },
      authenticateSync(authorization, verifyOptions) {
        // An unknown option name takes the asynchronous path, which throws.
        if (verifyOptions !== undefined && !hasOnlyKnownNames(verifyOptions, VERIFY_OPTION_NAMES))
          return undefined;
        return core.syncAuth(extractBearerToken(authorization, core.maxTokenLength), verifyOptions);
      },
      authenticateCached(authorization, verifyOptions) {
        if (typeof authorization !== 'string') return undefined;
        const token = peekBearerToken(authorization);
        return token === undefined ? undefined : core.cachedAuth(token, verifyOptions);
      },
      refreshKeys() {
        return core.refreshKeys();
      },
      revocationStatus() {
        return core.revocationStatus();
      },
      close() {
        core.close();
      },
    },
    report,
  );
}

/**
 * The `onEvent` hook of the options as a reporter whose own failure never changes a
 * verification's result; `undefined` without a hook.
 *
 * @throws TypeError when `onEvent` is not a function.
 */
function eventReporter(options: VerifierOptions): ((event: VerifierEvent) => void) | undefined {
  const onEvent = typeof options === 'object' && options !== null ? options.onEvent : undefined;
  if (onEvent === undefined) return undefined;
  if (typeof onEvent !== 'function') throw new TypeError('onEvent must be a function');
  return (event) => {
    try {
      onEvent(event);
    } catch {
      // A metrics callback must not turn a valid token into a 500 (or a refusal into a crash).
    }
  };
}

/**
 * The verifier with every token outcome reported: accepted (`cached` for a hit of
 * `authenticateCached`) or refused with its code. `authenticateSync` reports only when it
 * decides; its `undefined` (the asynchronous path is needed) reports nothing.
 */
function withEvents(
  verifier: Verifier,
  report: ((event: VerifierEvent) => void) | undefined,
): Verifier {
  if (report === undefined) return verifier;
  const refused = (err: unknown): never => {
    if (isVerifierError(err)) report({ type: 'token_refused', code: err.code });
    throw err;
  };
  return {
    realm: verifier.realm,
    async verify(token, verifyOptions) {
      const claims = await verifier.verify(token, verifyOptions).catch(refused);
      report({ type: 'token_accepted', cached: false });
      return claims;
    },
    async authenticate(authorization, verifyOptions) {
      const auth = await verifier.authenticate(authorization, verifyOptions).catch(refused);
      report({ type: 'token_accepted', cached: false });
      return auth;
    },
    authenticateSync(authorization, verifyOptions) {
      let auth: AuthInfo | undefined;
      try {
        auth = verifier.authenticateSync(authorization, verifyOptions);
      } catch (err) {
        return refused(err);
      }
      if (auth !== undefined) report({ type: 'token_accepted', cached: false });
      return auth;
    },
    authenticateCached(authorization, verifyOptions) {
      const auth = verifier.authenticateCached(authorization, verifyOptions);
      if (auth !== undefined) report({ type: 'token_accepted', cached: true });
      return auth;
    },
    refreshKeys() {
      return verifier.refreshKeys();
    },
    revocationStatus() {
      return verifier.revocationStatus();
    },
    close() {
      verifier.close();
    },
  };
}

/** One token source: its keys, claim policy and verified-token cache. */
interface VerifierCore {
  readonly realm: string | undefined;
  readonly maxTokenLength: number;
  readonly format: TokenFormat;
  readonly issuer: string | undefined;
  verifyToken(token: unknown, options: VerifyOptions | undefined): Promise<ValidatedToken>;
  /**
   * The verification with the keys at hand, synchronously; `undefined` when it needs a key
   * (re)load. Throws VerifierError for a refused token.
   */
  syncAuth(token: string, options: VerifyOptions | undefined): AuthInfo | undefined;
  /** The cached result for this exact token when still valid for `options`; never throws. */
  cachedAuth(token: string, options: VerifyOptions | undefined): AuthInfo | undefined;
  refreshKeys(): Promise<void>;
  revocationStatus(): RevocationStatus | undefined;
  close(): void;
}

function createCore(
  options: VerifierOptions,
  source?: string,
  report?: (event: VerifierEvent) => void,
): VerifierCore {
  const resolved = resolveOptions(options, source);
  const keySource =
    options.jwksUri !== undefined
      ? 'jwks'
      : options.publicKey !== undefined
        ? 'public_key'
        : 'key_file';
  const { policy, algorithms, format, requiredScopes, maxTokenLength } = resolved;
  const cache =
    resolved.tokenCacheMaxEntries > 0
      ? new VerifiedTokenCache(resolved.tokenCacheMaxEntries)
      : undefined;
  const keys = new KeyStore({
    loader: resolved.loader,
    ...(report === undefined
      ? {}
      : { onLoaded: (outcome) => report({ type: 'keys_refreshed', outcome, source: keySource }) }),
    refreshSec: resolved.refreshSec,
    cooldownSec: resolved.cooldownSec,
    logger: resolved.logger,
    onDropped: () => cache?.dropUntrusted(),
  });
  const feed =
    resolved.revocations === undefined ? undefined : new RevocationFeed(resolved.revocations);
  if (feed !== undefined) {
    feed.onChange = () => cache?.dropWhere((token) => isRevoked(feed, token));
    feed.start();
  }

  function lacksScope(token: ValidatedToken, scopes: readonly string[] | undefined): boolean {
    if (token.allScopes) return false;
    for (const scope of requiredScopes) if (!hasScope(token, scope)) return true;
    if (scopes !== undefined) for (const scope of scopes) if (!hasScope(token, scope)) return true;
    return false;
  }

  function checkScopes(token: ValidatedToken, scopes: readonly string[] | undefined): void {
    if (!lacksScope(token, scopes)) return;
    throw new VerifierError('ERR_INSUFFICIENT_SCOPE', 'token lacks a required scope', {
      requiredScopes: scopes === undefined ? requiredScopes : [...requiredScopes, ...scopes],
    });
  }

  /** The key for a kid that the keys at hand lack, after at most one reload. */
  async function reloadKey(
    kid: string | undefined,
    alg: string,
    nowMs: number,
  ): Promise<KeyRecord> {
    const reloaded = await keys.findAfterReload(kid, alg, nowMs);
    if (reloaded === 'ambiguous') throw ambiguousKid(kid);
    if (reloaded === undefined) {
      if (keys.find(undefined, alg) === undefined && keys.isPem()) {
        throw new VerifierError(
          'ERR_ALGORITHM_NOT_ALLOWED',
          'alg header does not fit the configured key',
        );
      }
      throw unknownKid(kid);
    }
    return reloaded;
  }

  function unknownKid(kid: string | undefined, cause?: unknown): VerifierError {
    return new VerifierError('ERR_KEY_UNKNOWN', 'no trusted key matches the token kid', {
      cause,
      details: {
        ...(kid === undefined ? {} : { kid }),
        keySource: keys.source,
        knownKids: keys.kids(),
      },
    });
  }

  /**
   * Logs a refusal that a setting or a clock can cause with what was expected and received (the
   * receiver's log line; the thrown error and the HTTP answer are unchanged), and rethrows it.
   */
  function logRefusal(err: unknown): never {
    if (err instanceof VerifierError && err.details !== undefined) {
      resolved.logger?.info?.(`@m2m-auth/verifier: token refused: ${describeVerifierError(err)}`);
    }
    throw err;
  }

  /** The type and length checks every entry point makes before anything parses the token. */
  function checkTokenString(token: unknown): asserts token is string {
    if (typeof token !== 'string')
      throw new VerifierError('ERR_TOKEN_MALFORMED', 'token is not a string');
    if (token.length > maxTokenLength) {
      throw new VerifierError('ERR_TOKEN_TOO_LARGE', 'token is longer than the allowed maximum');
    }
  }

  /**
   * Verifies a token with the keys at hand, synchronously (node:crypto's `verify` is), once the
   * caller has dealt with a due key refresh. When the token's kid is not among the keys at hand:
   * with `reload`, a promise of the verification after at most one reload; without, `undefined`
   * (the caller takes the asynchronous path).
   *
   * @throws VerifierError for any token failure.
   */
  function verifyWithKeysAtHand(
    token: string,
    options: VerifyOptions | undefined,
    nowMs: number,
    reload: boolean,
  ): ValidatedToken | Promise<ValidatedToken> | undefined {
    const nowSec = (options?.currentDate?.getTime() ?? nowMs) / 1000;
    if (cache !== undefined) {
      const entry = cache.get(token);
      if (entry !== undefined) {
        if (entry.record.trusted) {
          const cached = entry.token;
          if (feed !== undefined && isRevoked(feed, cached)) {
            cache.delete(token);
            throw revokedError();
          }
          const failure = checkTime(cached.exp, cached.nbf, cached.iat, policy, nowSec);
          if (failure !== undefined) throw timeError(failure, cached, policy, nowSec);
          checkScopes(cached, options?.scopes);
          return cached;
        }
        cache.delete(token);
      }
    }

    const jws = parseCompactJws(token);
    const { alg, kid } = checkJwsHeader(jws.header, algorithms, format);
    const record = keys.find(kid, alg);
    // An ambiguous kid may be fixed at the source: reload as for an unknown kid (with the cooldown).
    if (record === 'ambiguous' && kid === undefined) throw ambiguousKid(kid);
    if (record === undefined || record === 'ambiguous') {
      if (!reload) return undefined;
      return reloadKey(kid, alg, nowMs).then((reloaded) =>
        finish(token, jws, kid, reloaded, options, nowSec),
      );
    }
    return finish(token, jws, kid, record, options, nowSec);
  }

  /** Signature, claims, cache and scopes of a parsed token whose key is known. */
  function finish(
    token: string,
    jws: CompactJws,
    kid: string | undefined,
    record: KeyRecord,
    options: VerifyOptions | undefined,
    nowSec: number,
  ): ValidatedToken {
    // The signing input is ASCII (canonical base64url was checked), so latin1 is its exact bytes.
    const signed = verifyJwsSignature(
      record.alg,
      record.key,
      Buffer.from(jws.signingInput, 'latin1'),
      jws.signatureBytes,
    );
    if (!signed) {
      // A PEM key matches any kid. A token whose kid is an RFC 7638 SHA-256 thumbprint (what
      // m2m-auth uses) other than the key's own, and that does not verify, was most likely
      // signed by a newer key the file does not hold yet: say so rather than blame the signature.
      if (
        record.thumbprint !== undefined &&
        kid !== undefined &&
        THUMBPRINT_KID.test(kid) &&
        kid !== record.thumbprint
      ) {
        throw unknownKid(kid);
      }
      throw new VerifierError('ERR_SIGNATURE_INVALID', 'token signature is invalid', {
        details: kid === undefined ? {} : { kid },
      });
    }
    const validated = validateClaims(parseJsonObject(jws.payloadBytes, 'claims'), policy, nowSec);
    if (feed !== undefined && isRevoked(feed, validated)) throw revokedError();
    // Cached before the scope check: the token is valid, only this route wants more.
    if (cache !== undefined && record.trusted) {
      cache.set(token, { token: validated, record });
    }
    checkScopes(validated, options?.scopes);
    return validated;
  }

  async function verifyToken(
    token: unknown,
    options: VerifyOptions | undefined,
  ): Promise<ValidatedToken> {
    try {
      checkTokenString(token);
      const nowMs = Date.now();
      if (nowMs >= keys.softRefreshAt) await keys.refreshIfDue(nowMs);
      if (feed !== undefined && nowMs >= feed.waitAtMs) await feed.settle(nowMs);
      return await (verifyWithKeysAtHand(token, options, nowMs, true) as
        | ValidatedToken
        | Promise<ValidatedToken>);
    } catch (err) {
      return logRefusal(err);
    }
  }

  return {
    realm: resolved.realm,
    maxTokenLength,
    format,
    issuer: policy.issuer,
    verifyToken,
    syncAuth(token, options) {
      checkTokenString(token);
      const nowMs = Date.now();
      if (nowMs >= keys.softRefreshAt) return undefined;
      // A feed poll is due: the asynchronous path waits for it.
      if (feed !== undefined && nowMs >= feed.waitAtMs) return undefined;
      let result: ReturnType<typeof verifyWithKeysAtHand>;
      try {
        result = verifyWithKeysAtHand(token, options, nowMs, false);
      } catch (err) {
        return logRefusal(err);
      }
      return result === undefined ? undefined : (result as ValidatedToken).auth;
    },
    cachedAuth(token, options) {
      if (cache === undefined) return undefined;
      // An unknown option name takes the full path, which throws.
      if (options !== undefined && !hasOnlyKnownNames(options, VERIFY_OPTION_NAMES))
        return undefined;
      const nowMs = Date.now();
      if (nowMs >= keys.softRefreshAt) return undefined;
      if (feed !== undefined && nowMs >= feed.waitAtMs) return undefined;
      const entry = cache.get(token);
      if (entry === undefined || !entry.record.trusted) return undefined;
      const cached = entry.token;
      if (feed !== undefined && isRevoked(feed, cached)) return undefined;
      const nowSec = (options?.currentDate?.getTime() ?? nowMs) / 1000;
      if (checkTime(cached.exp, cached.nbf, cached.iat, policy, nowSec) !== undefined)
        return undefined;
      if (lacksScope(cached, options?.scopes)) return undefined;
      return cached.auth;
    },
    refreshKeys() {
      return keys.reload();
    },
    revocationStatus() {
      return feed?.status(Date.now());
    },
    close() {
      feed?.stop();
    },
  };
}

/** Refuses a per-call option name that is not one of {@link VerifyOptions} (e.g. `scope`). */
function checkVerifyOptions(options: VerifyOptions | undefined): void {
  if (options === undefined || hasOnlyKnownNames(options, VERIFY_OPTION_NAMES)) return;
  throw unknownOptionError(options, VERIFY_OPTION_NAMES, 'verify/authenticate');
}

/** The refusal of a token whose kid (or, without one, whose alg) several different keys share. */
function ambiguousKid(kid: string | undefined): VerifierError {
  return new VerifierError(
    'ERR_KEY_UNKNOWN',
    kid === undefined
      ? 'token has no kid and several keys fit its alg'
      : 'several different keys in the key set have the token kid; refused as ambiguous',
  );
}

/** Options that may sit beside `sources`: they apply to every source. */
const SHARED_OPTIONS = new Set([
  'sources',
  'requiredScopes',
  'realm',
  'logger',
  'maxTokenLength',
  'onEvent',
]);

/**
 * A verifier over several token sources (see `VerifierOptions.sources`): each token is routed to
 * one source by its `typ` and `iss`, read from the token before any key is used, and verified
 * there with that source's keys and rules only.
 */
function createMultiSourceVerifier(options: VerifierOptions): Verifier {
  const sources = options.sources;
  if (!Array.isArray(sources) || sources.length === 0) {
    throw new TypeError('sources must be a non-empty list of token sources');
  }
  for (const name of Object.keys(options)) {
    if (!SHARED_OPTIONS.has(name) && options[name as keyof VerifierOptions] !== undefined) {
      throw new TypeError(
        `${name} belongs in each of sources (beside sources only requiredScopes, realm, logger, maxTokenLength and onEvent)`,
      );
    }
  }
  const shared: VerifierOptions = {
    ...(options.requiredScopes !== undefined ? { requiredScopes: options.requiredScopes } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.maxTokenLength !== undefined ? { maxTokenLength: options.maxTokenLength } : {}),
  };
  const report = eventReporter(options);
  const names = new Set<string>();
  const routes = new Set<string>();
  const cores = sources.map((entry: TokenSourceOptions, index: number) => {
    if (typeof entry !== 'object' || entry === null) {
      throw new TypeError(`sources[${index}] must be an object`);
    }
    const { name, ...rest } = entry;
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`sources[${index}].name must be a non-empty string`);
    }
    if (names.has(name)) throw new TypeError(`two token sources are named ${name}`);
    names.add(name);
    if ('sources' in rest) throw new TypeError(`sources[${index}] cannot have sources`);
    let core: VerifierCore;
    try {
      core = createCore({ ...shared, ...rest }, name, report);
    } catch (err) {
      if (err instanceof TypeError)
        throw new TypeError(`sources[${index}] (${name}): ${err.message}`, { cause: err });
      throw err;
    }
    // Two sources a token could not be told apart by (same typ, same iss) would leave the choice
    // to trying keys: refuse them.
    const route = `${core.format} ${core.issuer ?? '(no issuer)'}`;
    if (routes.has(route)) {
      throw new TypeError(
        `sources ${name} and another one take the same tokens (${core.format} tokens of issuer ${core.issuer ?? '(none)'}): give them different issuers`,
      );
    }
    routes.add(route);
    return core;
  });
  const maxTokenLength = options.maxTokenLength ?? cores[0]!.maxTokenLength;
  const realm = options.realm ?? cores.find((core) => core.realm !== undefined)?.realm ?? undefined;
  if (realm !== undefined && (typeof realm !== 'string' || !/^[\x20-\x7e]*$/.test(realm))) {
    throw new TypeError('realm must be printable ASCII');
  }

  /** The one source this token names, decided from its header and claims (not yet verified). */
  function route(token: unknown): VerifierCore {
    if (typeof token !== 'string') {
      throw new VerifierError('ERR_TOKEN_MALFORMED', 'token is not a string');
    }
    if (token.length > maxTokenLength) {
      throw new VerifierError('ERR_TOKEN_TOO_LARGE', 'token is longer than the allowed maximum');
    }
    const jws = parseCompactJws(token);
    const typ = typeof jws.header['typ'] === 'string' ? normalizeTyp(jws.header['typ']) : '';
    const format: TokenFormat | undefined =
      typ === 'at+jwt' ? 'rfc9068' : typ === 'jwt' ? 'passport' : undefined;
    if (format === undefined) {
      throw new VerifierError(
        'ERR_TOKEN_TYPE_INVALID',
        'typ header names no configured token source',
      );
    }
    const claims = parseJsonObject(jws.payloadBytes, 'claims');
    const iss = claims['iss'];
    let fallback: VerifierCore | undefined;
    for (const core of cores) {
      if (core.format !== format) continue;
      if (core.issuer !== undefined && core.issuer === iss) return core;
      if (core.issuer === undefined) fallback = core;
    }
    if (fallback !== undefined) return fallback;
    throw new VerifierError('ERR_ISSUER_INVALID', 'iss claim names no configured token source');
  }

  return withEvents(
    {
      realm,
      async verify(token, verifyOptions) {
        checkVerifyOptions(verifyOptions);
        return (await route(token).verifyToken(token, verifyOptions)).auth.claims;
      },
      async authenticate(authorization, verifyOptions) {
        checkVerifyOptions(verifyOptions);
        const token = extractBearerToken(authorization, maxTokenLength);
        return (await route(token).verifyToken(token, verifyOptions)).auth;
      },
      authenticateSync(authorization, verifyOptions) {
        if (verifyOptions !== undefined && !hasOnlyKnownNames(verifyOptions, VERIFY_OPTION_NAMES))
          return undefined;
        const token = extractBearerToken(authorization, maxTokenLength);
        return route(token).syncAuth(token, verifyOptions);
      },
      authenticateCached(authorization, verifyOptions) {
        if (typeof authorization !== 'string') return undefined;
        const token = peekBearerToken(authorization);
        if (token === undefined) return undefined;
        // A token in a source's cache was routed to that source when it verified, and routing
        // depends only on the token's own bytes.
        for (const core of cores) {
          const auth = core.cachedAuth(token, verifyOptions);
          if (auth !== undefined) return auth;
        }
        return undefined;
      },
      async refreshKeys() {
        await Promise.all(cores.map((core) => core.refreshKeys()));
      },
      // Each source may poll its own issuer's feed; the first that has one reports.
      revocationStatus() {
        for (const core of cores) {
          const status = core.revocationStatus();
          if (status !== undefined) return status;
        }
        return undefined;
      },
      close() {
        for (const core of cores) core.close();
      },
    },
    report,
  );
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/**
 * Whether the feed covers a verified token: its `jti` is listed, or its client is (a revoked
 * client gets no new token, so every token carrying its id predates the revocation). Two Set
 * lookups, skipped while the sets are empty.
 */
function isRevoked(feed: RevocationFeed, token: ValidatedToken): boolean {
  if (feed.jtis.size > 0) {
    const jti = token.auth.claims.jti;
    if (jti !== undefined && feed.jtis.has(jti)) return true;
  }
  return feed.clients.size > 0 && feed.clients.has(token.auth.clientId);
}

function revokedError(): VerifierError {
  return new VerifierError('ERR_TOKEN_REVOKED', 'token has been revoked');
}
