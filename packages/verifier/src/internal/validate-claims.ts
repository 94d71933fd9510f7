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
  /** Granted scopes, for required-scope checks. */
  readonly scopeSet: ReadonlySet<string>;
  /** Passport's `*` scope: every scope is granted (as Passport's own middleware decides). */
  readonly allScopes: boolean;
}

/**
 * Checks a claims set (RFC 7519 §7.2 step 10, RFC 9068 §4) strictly: numeric dates must be finite
 * numbers (`exp` always required), `iss` / `aud` / scopes are compared as exact strings, and the
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
  if (!isFiniteNumber(exp)) throw claimError('exp', 'exp claim is not a finite number');
  const nbf = optionalNumericDate(claims, 'nbf');
  const iat = optionalNumericDate(claims, 'iat');

  const iss = claims['iss'];
  if (policy.issuer !== undefined || iss !== undefined) {
    if (iss === undefined) throw new VerifierError('ERR_ISSUER_INVALID', 'iss claim is missing');
    if (typeof iss !== 'string') throw claimError('iss', 'iss claim is not a string');
    if (policy.issuer !== undefined && iss !== policy.issuer) {
      throw new VerifierError('ERR_ISSUER_INVALID', 'iss claim is not the expected issuer');
    }
  }

  const aud = claims['aud'];
  if (aud === undefined) throw new VerifierError('ERR_AUDIENCE_INVALID', 'aud claim is missing');
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
    );
  }

  const timeFailure = checkTime(exp, nbf, iat, policy, nowSec);
  if (timeFailure !== undefined) throw timeError(timeFailure);

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
  const scopeSet = new Set(scopes);
  const auth: AuthInfo = Object.freeze({
    clientId,
    scopes: Object.freeze(scopes.slice()),
    claims: claims as unknown as AccessTokenClaims,
    ...(policy.source === undefined ? {} : { source: policy.source }),
  });
  return {
    auth,
    exp,
    nbf,
    iat,
    scopeSet,
    allScopes: policy.format === 'passport' && scopeSet.has('*'),
  };
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

/** The error for a {@link checkTime} failure. */
export function timeError(failure: NonNullable<ReturnType<typeof checkTime>>): VerifierError {
  const [code, message] = TIME_ERRORS[failure];
  return new VerifierError(code, message);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function optionalNumericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (!isFiniteNumber(value)) throw claimError(name, `${name} claim is not a finite number`);
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
