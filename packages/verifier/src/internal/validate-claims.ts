import { VerifierError, type VerifierErrorCode } from '../errors.js';
import { isScopeToken } from '../is-scope-token.js';
import type { AccessTokenClaims, AuthInfo, TokenFormat } from '../types.js';

/** What the claims are checked against; resolved once from the verifier options. */
export interface ClaimsPolicy {
  readonly format: TokenFormat;
  /** Exact `iss` expected; `undefined` only in Passport mode (no `iss` check). */
  readonly issuer: string | undefined;
  /**
   * Accepted audiences, compared as exact strings. RFC 9068: this service's identifiers.
   * Passport: allowed calling client ids; `undefined` = any client.
   */
  readonly audiences: ReadonlySet<string> | undefined;
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. */
  readonly clockToleranceSec: number;
  /** Maximum seconds since `iat`; `undefined` = no limit. */
  readonly maxTokenAgeSec: number | undefined;
  /** Name of the token source (multi-source verifiers), written to `AuthInfo.source`. */
  readonly source?: string | undefined;
}

/** A token whose claims passed, with what later checks (cache hits, scopes) need. */
export interface ValidatedToken {
  readonly auth: AuthInfo;
  readonly exp: number;
  readonly nbf: number | undefined;
  readonly iat: number | undefined;
  /**
   * Granted scopes as a Set, only for tokens with many of them; with a few, `auth.scopes.includes`
   * is as fast and the cached token stays smaller (see {@link hasScope}).
   */
  readonly scopeSet: ReadonlySet<string> | undefined;
  /** Passport's `*` scope: every scope is granted (as Passport's own middleware decides). */
  readonly allScopes: boolean;
}

/**
 * Checks a claims set (RFC 7519 §7.2 step 10, RFC 9068 §4) strictly: numeric dates must be
 * numbers from 0 to {@link MAX_NUMERIC_DATE_SEC} (`exp` always required), `iss` / `aud` / scopes are compared as exact strings, and the
 * claims RFC 9068 §2.2 requires must be present with their types.
 *
 * @param claims - the parsed payload (not yet frozen).
 * @param nowSec - current time in Unix seconds, with its fraction.
 * @throws VerifierError `ERR_CLAIM_INVALID`, `ERR_ISSUER_INVALID`, `ERR_AUDIENCE_INVALID`,
 *   `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_NOT_YET_VALID`.
 */
export function validateClaims(
  claims: Record<string, unknown>,
  policy: ClaimsPolicy,
  nowSec: number,
): ValidatedToken {
  const exp = claims['exp'];
  if (exp === undefined) throw claimError('exp', 'exp claim is missing');
  if (!isNumericDate(exp)) throw claimError('exp', `exp claim ${NUMERIC_DATE_RULE}`);
  const nbf = optionalNumericDate(claims, 'nbf');
  const iat = optionalNumericDate(claims, 'iat');

  const iss = claims['iss'];
  if (policy.issuer !== undefined || iss !== undefined) {
    if (iss === undefined) {
      throw new VerifierError('ERR_ISSUER_INVALID', 'iss claim is missing', {
        details: issuerDetails(policy, undefined),
      });
    }
    if (typeof iss !== 'string') throw claimError('iss', 'iss claim is not a string');
    if (policy.issuer !== undefined && iss !== policy.issuer) {
      throw new VerifierError('ERR_ISSUER_INVALID', 'iss claim is not the expected issuer', {
        details: issuerDetails(policy, iss),
      });
    }
  }

  const aud = claims['aud'];
  if (aud === undefined) {
    throw new VerifierError('ERR_AUDIENCE_INVALID', 'aud claim is missing', {
      details:
        policy.audiences === undefined ? undefined : { expectedAudiences: [...policy.audiences] },
    });
  }
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((value) => typeof value === 'string')
  ) {
    throw claimError('aud', 'aud claim is not a string or a non-empty array of strings');
  }
  if (policy.audiences !== undefined && !audiences.some((value) => policy.audiences?.has(value))) {
    throw new VerifierError(
      'ERR_AUDIENCE_INVALID',
      'aud claim names none of the expected audiences',
      {
        details: { expectedAudiences: [...policy.audiences], receivedAudiences: audiences },
      },
    );
  }

  const timeFailure = checkTime(exp, nbf, iat, policy, nowSec);
  if (timeFailure !== undefined) throw timeError(timeFailure, { exp, nbf, iat }, policy, nowSec);

  let clientId: string;
  let scopes: readonly string[];
  if (policy.format === 'rfc9068') {
    if (iat === undefined) throw claimError('iat', 'iat claim is missing');
    requireString(claims, 'sub');
    requireString(claims, 'jti');
    clientId = requireString(claims, 'client_id');
    scopes = parseScopeClaim(claims['scope']);
  } else {
    // Passport: the audience is the calling client (league/oauth2-server sets aud = client id).
    if (audiences.length !== 1) throw claimError('aud', 'aud claim does not name one client');
    clientId = audiences[0] as string;
    if (claims['sub'] !== undefined && typeof claims['sub'] !== 'string') {
      throw claimError('sub', 'sub claim is not a string');
    }
    scopes = parseScopesArray(claims['scopes']);
  }
  if (policy.maxTokenAgeSec !== undefined && iat === undefined) {
    throw claimError('iat', 'iat claim is missing (required by maxTokenAgeSec)');
  }

  deepFreeze(claims);
  // `scopes` is a fresh array (split or checked copy): frozen, it is handed out as it is.
  const auth: AuthInfo = Object.freeze({
    clientId,
    scopes: Object.freeze(scopes),
    claims: claims as unknown as AccessTokenClaims,
    ...(policy.source === undefined ? {} : { source: policy.source }),
  });
  return {
    auth,
    exp,
    nbf,
    iat,
    scopeSet: scopes.length > SCOPE_SET_FROM ? new Set(scopes) : undefined,
    allScopes: policy.format === 'passport' && scopes.includes('*'),
  };
}

/** Tokens with more scopes than this get a Set for lookups; below, a Set costs more than it saves. */
const SCOPE_SET_FROM = 16;

/** Whether the validated token grants `scope` (exact string). */
export function hasScope(token: ValidatedToken, scope: string): boolean {
  return token.scopeSet === undefined
    ? token.auth.scopes.includes(scope)
    : token.scopeSet.has(scope);
}

/**
 * The time checks alone, also run on every cache hit. `exp` must lie in the future
 * (RFC 7519 §4.1.4), `nbf` and `iat` not in the future, `iat` not older than `maxTokenAgeSec`,
 * each with `clockToleranceSec` of slack.
 *
 * @returns the failing code, or `undefined` when the token is within its lifetime.
 */
export function checkTime(
  exp: number,
  nbf: number | undefined,
  iat: number | undefined,
  policy: ClaimsPolicy,
  nowSec: number,
): 'expired' | 'too-old' | 'not-yet-valid' | 'issued-in-future' | undefined {
  const tolerance = policy.clockToleranceSec;
  if (nowSec - tolerance >= exp) return 'expired';
  if (nbf !== undefined && nowSec + tolerance < nbf) return 'not-yet-valid';
  if (iat !== undefined) {
    if (nowSec + tolerance < iat) return 'issued-in-future';
    if (policy.maxTokenAgeSec !== undefined && nowSec - tolerance > iat + policy.maxTokenAgeSec) {
      return 'too-old';
    }
  }
  return undefined;
}

const TIME_ERRORS: Record<
  NonNullable<ReturnType<typeof checkTime>>,
  [VerifierErrorCode, string]
> = {
  expired: ['ERR_TOKEN_EXPIRED', 'token expired (exp claim)'],
  'too-old': ['ERR_TOKEN_EXPIRED', 'token is older than maxTokenAgeSec (iat claim)'],
  'not-yet-valid': ['ERR_TOKEN_NOT_YET_VALID', 'token is not valid yet (nbf claim)'],
  'issued-in-future': ['ERR_TOKEN_NOT_YET_VALID', 'token is issued in the future (iat claim)'],
};

/** Which claim each {@link checkTime} failure is about. */
const TIME_CLAIMS = {
  expired: 'exp',
  'too-old': 'iat',
  'not-yet-valid': 'nbf',
  'issued-in-future': 'iat',
} as const;

/**
 * The error for a {@link checkTime} failure, with the claim and its distance from this clock in
 * its details (the wire text stays the fixed message).
 */
export function timeError(
  failure: NonNullable<ReturnType<typeof checkTime>>,
  times: { exp: number; nbf: number | undefined; iat: number | undefined },
  policy: ClaimsPolicy,
  nowSec: number,
): VerifierError {
  const [code, message] = TIME_ERRORS[failure];
  const timeClaim = TIME_CLAIMS[failure];
  const value = times[timeClaim] ?? nowSec;
  return new VerifierError(code, message, {
    details: {
      timeClaim,
      clockDifferenceSec: Math.round((value - nowSec) * 1000) / 1000,
      clockToleranceSec: policy.clockToleranceSec,
    },
  });
}

function issuerDetails(policy: ClaimsPolicy, received: string | undefined) {
  return {
    ...(policy.issuer === undefined ? {} : { expectedIssuer: policy.issuer }),
    ...(received === undefined ? {} : { receivedIssuer: received }),
  };
}

/**
 * Largest NumericDate accepted: 9999-12-31T23:59:59Z, in seconds. Far below
 * `Number.MAX_SAFE_INTEGER`, so the value, its fraction and `± clockToleranceSec` stay exact in a
 * double and every comparison means what it says; beyond it a date is a malformed claim, not
 * "valid forever" (an `exp` of 1e300) or "never valid" (an `nbf` of 1e300).
 */
export const MAX_NUMERIC_DATE_SEC = 253_402_300_799;

const NUMERIC_DATE_RULE = `is not a NumericDate (a number of seconds from 0 to ${MAX_NUMERIC_DATE_SEC}, RFC 7519 §2)`;

/**
 * RFC 7519 §2 NumericDate, bounded: a JSON number (integer or decimal), not negative, at most
 * {@link MAX_NUMERIC_DATE_SEC}. NaN and infinities cannot come from JSON but are refused too.
 */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_NUMERIC_DATE_SEC;
}

function optionalNumericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (!isNumericDate(value)) throw claimError(name, `${name} claim ${NUMERIC_DATE_RULE}`);
  return value;
}

function requireString(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (value === undefined) throw claimError(name, `${name} claim is missing`);
  if (typeof value !== 'string' || value.length === 0) {
    throw claimError(name, `${name} claim is not a non-empty string`);
  }
  return value;
}

/** RFC 6749 §3.3: `scope-token *( SP scope-token )`; an empty string grants nothing. */
function parseScopeClaim(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string') throw claimError('scope', 'scope claim is not a string');
  const scopes = value.split(' ');
  if (!scopes.every(isScopeToken)) {
    throw claimError('scope', 'scope claim is not a space-delimited list of scope tokens');
  }
  return scopes;
}

function parseScopesArray(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((scope) => typeof scope === 'string' && scope !== '')) {
    throw claimError('scopes', 'scopes claim is not an array of non-empty strings');
  }
  return value as string[];
}

function claimError(claim: string, message: string): VerifierError {
  return new VerifierError('ERR_CLAIM_INVALID', message, { claim });
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
