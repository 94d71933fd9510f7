import type { KeyObject } from 'node:crypto';
import type { TokenClientError } from './errors.js';

/**
 * How the client authenticates at the token endpoint: with its secret (RFC 6749 §2.3.1), or with a
 * JWT signed by its private key (`private_key_jwt`, RFC 7523 §2.2).
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * Options of `createTokenClient`. Every option is optional; `tokenUrl`, `clientId` and
 * `clientSecret` then come from the environment.
 */
export interface TokenClientOptions {
  /**
   * The authorization server's token endpoint (RFC 6749 §3.2), e.g.
   * `http://auth:8080/oauth/token`. A URL with no path (`http://auth:8080`) means the server
   * itself, and `/oauth/token` is appended. Default: env `AUTH_URL`.
   */
  tokenUrl?: string | URL;
  /** The client_id (RFC 6749 §2.2). Default: env `OAUTH_CLIENT_ID`. */
  clientId?: string;
  /** The client secret (RFC 6749 §2.3.1). Never logged or put in messages. Default: env `OAUTH_CLIENT_SECRET`. */
  clientSecret?: string;
  /**
   * The client's private key (PEM text or a `KeyObject`) for `private_key_jwt` (RFC 7523 §2.2):
   * each token request carries a fresh assertion signed with it (new `jti`, 30 s lifetime, `aud`
   * the issuer). RSA (RS256, or PS256 with `signingAlg`), EC P-256 (ES256) or Ed25519 (EdDSA).
   * Give one credential: `clientSecret`, `privateKey`, `privateKeyPath` or `assertionPath`.
   */
  privateKey?: string | KeyObject;
  /** File holding the private key (read once, at creation). Default: env `OAUTH_CLIENT_KEY_PATH`. */
  privateKeyPath?: string;
  /** Algorithm of the assertions when the key allows two (RSA: RS256 default, or PS256). */
  signingAlg?: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  /**
   * The authorization server's issuer identifier, the `aud` of assertions. Default: read once from
   * its metadata (RFC 8414) at `<origin of tokenUrl>/.well-known/oauth-authorization-server`.
   */
  issuer?: string;
  /**
   * File holding a JWT issued to this service by its platform (e.g. a Kubernetes projected
   * service-account token), sent as `client_assertion`. Read on every token request, since the
   * platform rotates it on disk. Default: env `OAUTH_CLIENT_ASSERTION_PATH`.
   */
  assertionPath?: string;
  /**
   * `client_secret_basic` (HTTP Basic, the default) or `client_secret_post` (credentials in the
   * form body), RFC 6749 §2.3.1.
   */
  authMethod?: ClientAuthMethod;
  /** Audience (resource server, RFC 8707) of tokens when a call names none. Default: none sent. */
  audience?: string;
  /** Scope (RFC 6749 §3.3) of tokens when a call names none: space-delimited or a list. Default: none sent. */
  scope?: string | readonly string[];
  /**
   * Seconds before a token expires at which it is refreshed in the background (the current token is
   * still served meanwhile). Capped at half the token's lifetime. Default: 60.
   */
  refreshSkewSec?: number;
  /** Time allowed for one token request attempt, milliseconds. Default: 10 000. */
  requestTimeoutMs?: number;
  /**
   * Time allowed for getting one token, retries and waits included, milliseconds; after it the call
   * fails with `ERR_AUTH_SERVER_UNAVAILABLE`. Default: 30 000.
   */
  totalTimeoutMs?: number;
  /** Base of the exponential backoff between retries, milliseconds. Default: 100. */
  retryBaseDelayMs?: number;
  /**
   * Longest backoff between retries, milliseconds; also the pause after a failed background refresh
   * before the next one. Default: 5 000.
   */
  retryMaxDelayMs?: number;
  /**
   * Send the client secret to an `http://` token URL whose host is not loopback (`localhost`,
   * `127.0.0.0/8`, `[::1]`). Default false, or `OAUTH_ALLOW_INSECURE_HTTP=true` (or `1`): without
   * it, creation fails with a TypeError, since the secret would cross the network in clear text
   * (RFC 6749 §2.3.1 and §3.2 require TLS). Only for a network you trust end to end.
   */
  allowInsecureHttp?: boolean;
  /**
   * Where to read `AUTH_URL`, `OAUTH_CLIENT_ID`, `OAUTH_CLIENT_SECRET` and
   * `OAUTH_ALLOW_INSECURE_HTTP`. Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The fetch used for token requests and `client.fetch`. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /**
   * Called when a background refresh fails (the current token keeps being served until it
   * expires). The error carries no secret or token. Default: none.
   */
  onBackgroundRefreshError?: (error: TokenClientError) => void;
}

/** Which token a call needs. Absent fields take the client's default `audience` and `scope`. */
export interface TokenTargetOptions {
  /** Audience (resource server, RFC 8707) the token is for, e.g. `ms_doctor`. */
  audience?: string;
  /** Scope (RFC 6749 §3.3): space-delimited or a list; order and duplicates do not matter. */
  scope?: string | readonly string[];
}

/** Every name of {@link TokenTargetOptions}. */
export const TARGET_OPTION_NAMES = [
  'audience',
  'scope',
] as const satisfies readonly (keyof TokenTargetOptions)[];

/** Options of `TokenClient.getToken`. */
export interface GetTokenOptions extends TokenTargetOptions {
  /** Stops this caller waiting (rejecting with the signal's reason); a shared request goes on. */
  signal?: AbortSignal;
}

/** Every name of {@link GetTokenOptions}. */
export const GET_TOKEN_OPTION_NAMES = [
  ...TARGET_OPTION_NAMES,
  'signal',
] as const satisfies readonly (keyof GetTokenOptions)[];

/** Every option name of `createTokenClient`; anything else is refused. */
export const TOKEN_CLIENT_OPTION_NAMES = [
  'tokenUrl',
  'clientId',
  'clientSecret',
  'privateKey',
  'privateKeyPath',
  'signingAlg',
  'issuer',
  'assertionPath',
  'authMethod',
  'audience',
  'scope',
  'refreshSkewSec',
  'requestTimeoutMs',
  'totalTimeoutMs',
  'retryBaseDelayMs',
  'retryMaxDelayMs',
  'allowInsecureHttp',
  'env',
  'fetch',
  'onBackgroundRefreshError',
] as const satisfies readonly (keyof TokenClientOptions)[];

// Fails to compile when TokenClientOptions gains an option the list above lacks.
type UnlistedOption = Exclude<keyof TokenClientOptions, (typeof TOKEN_CLIENT_OPTION_NAMES)[number]>;
const everyOptionListed: [UnlistedOption] extends [never] ? true : UnlistedOption = true;
void everyOptionListed;
