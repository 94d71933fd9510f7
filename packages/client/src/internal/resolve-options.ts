import type { KeyObject } from 'node:crypto';
import type { TokenClientError } from '../errors.js';
import { TOKEN_CLIENT_OPTION_NAMES, type TokenClientOptions } from '../token-client-options.js';
import { checkOptionNames } from './check-option-names.js';
import {
  type AssertionKey,
  type AssertionSigningAlg,
  loadAssertionKey,
  readAssertionKeyFile,
} from './client-assertion.js';
import { checkAudience, normalizeScope } from './normalize-scope.js';

/** Path appended to an `AUTH_URL` that names only the authorization server (no path). */
export const DEFAULT_TOKEN_PATH = '/oauth/token';

/** Options after validation, with defaults applied and credentials pre-encoded. */
export interface ResolvedOptions {
  /** Token endpoint URL (RFC 6749 §3.2). */
  readonly tokenUrl: string;
  /** The token endpoint without query, safe to put in messages. */
  readonly tokenUrlForMessages: string;
  /** Headers of every token request (includes the Basic credentials for client_secret_basic). */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** Form fields appended to every token request body (credentials for client_secret_post). */
  readonly bodyCredentials: string;
  /**
   * How a client assertion is made for each request, when the client has no secret: signed with
   * its private key (private_key_jwt), or read from a file (a platform-issued token).
   */
  readonly assertion: AssertionSource | undefined;
  readonly audience: string | undefined;
  readonly scope: string | undefined;
  readonly refreshSkewMs: number;
  readonly requestTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly fetch: typeof globalThis.fetch;
  readonly onBackgroundRefreshError: ((error: TokenClientError) => void) | undefined;
}

/** Where each request's client assertion comes from (RFC 7521 §4.2). */
export type AssertionSource =
  | {
      readonly kind: 'private_key_jwt';
      readonly clientId: string;
      readonly key: AssertionKey;
      /** The `aud`: configured, or discovered once from the server's metadata (RFC 8414). */
      readonly issuer: string | undefined;
      /** Where to discover the issuer: `<origin of tokenUrl>/.well-known/oauth-authorization-server`. */
      readonly metadataUrl: string;
    }
  | { readonly kind: 'file'; readonly clientId: string; readonly path: string };

/**
 * Validates the options of `createTokenClient`, reads the missing settings from the environment and
 * applies the defaults.
 *
 * @throws TypeError naming the option (and its environment variable) that is missing or invalid,
 *   or an unknown option name with the closest valid one; never quoting a secret.
 */
export function resolveOptions(options: TokenClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTokenClient options must be an object');
  }
  checkOptionNames(options, TOKEN_CLIENT_OPTION_NAMES, 'createTokenClient');
  const env = options.env ?? process.env;
  if (typeof env !== 'object' || env === null) {
    throw new TypeError('options.env must be an object of environment variables');
  }

  const { tokenUrl, tokenUrlForMessages } = resolveTokenUrl(
    setting(options.tokenUrl, env, 'tokenUrl', 'AUTH_URL'),
  );
  refuseInsecureHttp(tokenUrl, allowInsecureHttp(options.allowInsecureHttp, env));
  const clientId = setting(options.clientId, env, 'clientId', 'OAUTH_CLIENT_ID');
  if (typeof clientId !== 'string') {
    throw new TypeError('options.clientId must be a string (or set OAUTH_CLIENT_ID)');
  }
  const requestHeaders: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  let bodyCredentials = '';
  const assertion = resolveAssertion(options, env, clientId, tokenUrl);
  if (assertion !== undefined) {
    const expected = assertion.kind === 'private_key_jwt' ? 'private_key_jwt' : undefined;
    if (options.authMethod !== undefined && options.authMethod !== expected) {
      throw new TypeError(
        assertion.kind === 'private_key_jwt'
          ? 'options.authMethod must be "private_key_jwt" (or absent) with a private key'
          : 'options.authMethod must be absent with assertionPath (OAUTH_CLIENT_ASSERTION_PATH)',
      );
    }
  } else {
    const clientSecret = setting(options.clientSecret, env, 'clientSecret', 'OAUTH_CLIENT_SECRET');
    if (typeof clientSecret !== 'string') {
      throw new TypeError('options.clientSecret must be a string (or set OAUTH_CLIENT_SECRET)');
    }
    const authMethod = options.authMethod ?? 'client_secret_basic';
    if (authMethod === 'client_secret_basic') {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded first, then joined by ":" and base64-ed.
      const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
      requestHeaders['authorization'] = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    } else if (authMethod === 'client_secret_post') {
      bodyCredentials = `&client_id=${formEncode(clientId)}&client_secret=${formEncode(clientSecret)}`;
    } else if (authMethod === 'private_key_jwt') {
      throw new TypeError(
        'options.authMethod "private_key_jwt" needs options.privateKey or options.privateKeyPath (or set OAUTH_CLIENT_KEY_PATH)',
      );
    } else {
      throw new TypeError(
        'options.authMethod must be "client_secret_basic" (the default), "client_secret_post" or "private_key_jwt"',
      );
    }
  }

  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new TypeError('options.fetch must be a function (Node 20 has a global fetch)');
  }
  const onError = options.onBackgroundRefreshError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError('options.onBackgroundRefreshError must be a function');
  }

  const retryBaseDelayMs = duration(options.retryBaseDelayMs, 'retryBaseDelayMs', 100, 0);
  const retryMaxDelayMs = duration(options.retryMaxDelayMs, 'retryMaxDelayMs', 5_000, 0);
  if (retryMaxDelayMs < retryBaseDelayMs) {
    throw new TypeError('options.retryMaxDelayMs must not be less than options.retryBaseDelayMs');
  }

  return {
    tokenUrl,
    tokenUrlForMessages,
    requestHeaders,
    bodyCredentials,
    assertion,
    audience: checkAudience(options.audience, 'options.audience'),
    scope: normalizeScope(options.scope, 'options.scope'),
    refreshSkewMs: duration(options.refreshSkewSec, 'refreshSkewSec', 60, 0) * 1000,
    requestTimeoutMs: duration(options.requestTimeoutMs, 'requestTimeoutMs', 10_000, 1),
    totalTimeoutMs: duration(options.totalTimeoutMs, 'totalTimeoutMs', 30_000, 1),
    retryBaseDelayMs,
    retryMaxDelayMs,
    fetch: fetchImpl,
    onBackgroundRefreshError: onError,
  };
}

const ALGS: readonly AssertionSigningAlg[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/**
 * Which credential the client uses: a secret (undefined here), a private key, or an assertion file.
 * Options win over the environment; two credentials in the same place are an error, since a
 * service configured both ways is a mistake that would otherwise surface later.
 */
function resolveAssertion(
  options: TokenClientOptions,
  env: Readonly<Record<string, string | undefined>>,
  clientId: string,
  tokenUrl: string,
): AssertionSource | undefined {
  const given = (['clientSecret', 'privateKey', 'privateKeyPath', 'assertionPath'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length > 1) {
    throw new TypeError(
      `Give one credential, not ${given.map((name) => `options.${name}`).join(' and ')}`,
    );
  }
  let source: 'privateKey' | 'privateKeyPath' | 'assertionPath' | 'clientSecret' | undefined =
    given[0];
  let fromEnv = false;
  if (source === undefined) {
    const set = (
      [
        ['clientSecret', 'OAUTH_CLIENT_SECRET'],
        ['privateKeyPath', 'OAUTH_CLIENT_KEY_PATH'],
        ['assertionPath', 'OAUTH_CLIENT_ASSERTION_PATH'],
      ] as const
    ).filter(([, variable]) => env[variable] !== undefined && env[variable] !== '');
    if (set.length > 1) {
      throw new TypeError(
        `Set one credential, not ${set.map(([, variable]) => variable).join(' and ')}`,
      );
    }
    source = set[0]?.[0];
    fromEnv = true;
  }
  if (source === undefined || source === 'clientSecret') return undefined;
  if (options.signingAlg !== undefined && !ALGS.includes(options.signingAlg)) {
    throw new TypeError(`options.signingAlg must be one of ${ALGS.join(', ')}`);
  }
  if (source === 'assertionPath') {
    const path = fromEnv ? env['OAUTH_CLIENT_ASSERTION_PATH'] : options.assertionPath;
    if (typeof path !== 'string' || path === '') {
      throw new TypeError(
        'options.assertionPath must be a file path (or set OAUTH_CLIENT_ASSERTION_PATH)',
      );
    }
    return { kind: 'file', clientId, path };
  }
  let key: AssertionKey;
  if (source === 'privateKey') {
    const value = options.privateKey;
    if (typeof value !== 'string' && (typeof value !== 'object' || value === null)) {
      throw new TypeError('options.privateKey must be a PEM string or a KeyObject');
    }
    key = loadAssertionKey(value as string | KeyObject, 'options.privateKey', options.signingAlg);
  } else {
    const path = fromEnv ? env['OAUTH_CLIENT_KEY_PATH'] : options.privateKeyPath;
    if (typeof path !== 'string' || path === '') {
      throw new TypeError(
        'options.privateKeyPath must be a file path (or set OAUTH_CLIENT_KEY_PATH)',
      );
    }
    key = readAssertionKeyFile(
      path,
      fromEnv ? 'OAUTH_CLIENT_KEY_PATH' : 'options.privateKeyPath',
      options.signingAlg,
    );
  }
  let issuer: string | undefined;
  if (options.issuer !== undefined) {
    if (typeof options.issuer !== 'string' || !/^https?:\/\//.test(options.issuer)) {
      throw new TypeError(
        'options.issuer must be the authorization server issuer identifier (an http(s) URL)',
      );
    }
    issuer = options.issuer;
  }
  return {
    kind: 'private_key_jwt',
    clientId,
    key,
    issuer,
    metadataUrl: `${new URL(tokenUrl).origin}/.well-known/oauth-authorization-server`,
  };
}

/** The option if given, else the environment variable; a missing or empty one is an error. */
function setting(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  envName: string,
): unknown {
  const resolved = value ?? env[envName];
  if (resolved === undefined || resolved === '') {
    throw new TypeError(`Missing ${name}: pass options.${name} or set ${envName}`);
  }
  return resolved;
}

/**
 * Accepts either the token endpoint (`http://auth:8080/oauth/token`) or the bare address of the
 * authorization server (`http://auth:8080`, path empty or `/`), to which `/oauth/token` is appended.
 */
function resolveTokenUrl(value: unknown): { tokenUrl: string; tokenUrlForMessages: string } {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new TypeError('options.tokenUrl (AUTH_URL) must be a string or URL');
  }
  let url: URL;
  try {
    url = new URL(value instanceof URL ? value.href : value);
  } catch {
    throw new TypeError('options.tokenUrl (AUTH_URL) must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('options.tokenUrl (AUTH_URL) must be an absolute http(s) URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(
      'options.tokenUrl (AUTH_URL) must not carry credentials; use clientId and clientSecret',
    );
  }
  if (url.hash !== '') {
    // RFC 6749 §3.2: the endpoint URI MUST NOT include a fragment component.
    throw new TypeError('options.tokenUrl (AUTH_URL) must not have a #fragment (RFC 6749 §3.2)');
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = DEFAULT_TOKEN_PATH;
  return { tokenUrl: url.href, tokenUrlForMessages: url.origin + url.pathname };
}

/** Environment variable that opts in to a plain-http token URL on a non-loopback host. */
export const ALLOW_INSECURE_HTTP_ENV = 'OAUTH_ALLOW_INSECURE_HTTP';

/** Hosts that name this machine only: localhost, 127.0.0.0/8, [::1]. */
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The option, else `OAUTH_ALLOW_INSECURE_HTTP` (`true`/`1`, `false`/`0`); anything else is an error. */
function allowInsecureHttp(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (value !== undefined) {
    if (typeof value !== 'boolean')
      throw new TypeError('options.allowInsecureHttp must be a boolean');
    return value;
  }
  const text = env[ALLOW_INSECURE_HTTP_ENV];
  if (text === undefined || text === '') return false;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new TypeError(`${ALLOW_INSECURE_HTTP_ENV} must be "true", "1", "false" or "0"`);
}

/**
 * The client secret goes in every token request: over plain http to another machine, anyone on
 * the path reads it (RFC 6749 §2.3.1, §3.2: TLS is required). Loopback is the local machine.
 */
function refuseInsecureHttp(tokenUrl: string, allowed: boolean): void {
  const url = new URL(tokenUrl);
  if (url.protocol !== 'http:' || allowed || LOOPBACK.test(url.hostname)) return;
  throw new TypeError(
    `options.tokenUrl (AUTH_URL) is plain http to ${url.host}, which is not a loopback host: the client secret would cross the network unencrypted (RFC 6749 §2.3.1 requires TLS). Use https://, or, on a network you trust end to end, opt in with allowInsecureHttp: true or ${ALLOW_INSECURE_HTTP_ENV}=true`,
  );
}

function duration(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`options.${name} must be a finite number ≥ ${min}`);
  }
  return value;
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
export function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
