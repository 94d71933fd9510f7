import type {
  RevocationsWhenStale,
  SupportedAlgorithm,
  TokenFormat,
  VerifierEvent,
  VerifierLogger,
} from './types.js';

/**
 * Options of `createVerifier`. Give exactly one key source: `publicKey`, `publicKeyPath` or
 * `jwksUri`; with none, the file named by the `OAUTH_PUBLIC_KEY_PATH` environment variable is used.
 */
export interface VerifierOptions {
  /**
   * The authorization server's issuer identifier, compared with `iss` as an exact string
   * (RFC 9068 §4, RFC 8414 §2). Required for `rfc9068` tokens. In Passport mode (no `iss` in
   * Passport tokens) optional: when set, `iss` must be present and equal.
   */
  issuer?: string;
  /**
   * This service's own identifier(s), e.g. `"ms_doctor"`: a token whose `aud` names none of them
   * (exact strings) was minted for another service and is rejected (RFC 9068 §4). Required for
   * `rfc9068` tokens. In Passport mode `aud` is the calling client's id, so this optional list
   * names the client ids allowed to call.
   */
  audience?: string | readonly string[];
  /** The authorization server's public key as SPKI PEM text (`-----BEGIN PUBLIC KEY-----`). */
  publicKey?: string;
  /**
   * A file holding the public key as PEM (written by `m2m-auth keys export-public`, or Laravel
   * Passport's `oauth-public.key`) or a JWK Set (`m2m-auth keys export-public --all`). Read at
   * construction (a missing or unusable file throws TypeError), then re-read every
   * `keyFileRefreshSec` and re-imported when it changed. Default: the environment variable
   * `OAUTH_PUBLIC_KEY_PATH`, when no other key source is given.
   */
  publicKeyPath?: string;
  /**
   * The authorization server's JWK Set URL (`<issuer>/.well-known/jwks.json`, RFC 8414 `jwks_uri`).
   * Must be https, except on loopback addresses or with `allowInsecureHttp`.
   */
  jwksUri?: string | URL;
  /** Allow a plain-http `jwksUri` on a non-loopback host (a trusted private network). Default false. */
  allowInsecureHttp?: boolean;
  /**
   * Accepted `alg` values. Default: the algorithm of the configured PEM key (RS256 for RSA, ES256
   * for P-256, EdDSA/Ed25519 for Ed25519), or RS256, ES256, EdDSA and Ed25519 for a JWK Set.
   * PS256 only when listed. `none` and HMAC algorithms are never accepted.
   */
  algorithms?: readonly SupportedAlgorithm[];
  /** Which tokens to accept; default `"rfc9068"`. See {@link TokenFormat}. */
  tokenFormat?: TokenFormat;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. Default 30. */
  clockToleranceSec?: number;
  /** Reject tokens whose `iat` is more than this many seconds ago. Default: no limit. */
  maxTokenAgeSec?: number;
  /** Scopes every token must grant (exact strings); routes can require more. Default none. */
  requiredScopes?: readonly string[];
  /** Longest token accepted, in characters, checked before any parsing. Default 8192. */
  maxTokenLength?: number;
  /**
   * In-memory cache of verified tokens, keyed by the token itself (a hit needs the exact same
   * characters); only successes are cached, `exp`/`nbf`/`iat` and the route's scopes are re-checked
   * on every hit, and entries go when the key that verified them leaves the key set. It holds at
   * most `maxEntries` accepted tokens (each at most `maxTokenLength` characters) until they expire
   * or are evicted. `false` turns it off. Default `{ maxEntries: 1000 }`.
   */
  tokenCache?: boolean | { maxEntries?: number };
  /**
   * Longest time, in seconds, keys fetched from `jwksUri` are trusted before they are fetched
   * again; a shorter `Cache-Control: max-age` from the server wins (but never under
   * `jwksCooldownSec`). This is the revocation interval: a key removed from the JWKS stops
   * verifying at most this long after (while the JWKS is reachable). Default 300.
   */
  jwksCacheMaxAgeSec?: number;
  /**
   * Shortest time, in seconds, between two JWKS fetches caused by unknown `kid`s or retries after
   * a failure, so random kids cannot cause a fetch storm. Default 30.
   */
  jwksCooldownSec?: number;
  /** Milliseconds a JWKS fetch (connection, response and body) may take. Default 5000. */
  jwksTimeoutMs?: number;
  /**
   * Seconds between two reads of `publicKeyPath`: a changed file (a rotated or revoked key) is
   * picked up within this time. Default 5.
   */
  keyFileRefreshSec?: number;
  /**
   * The authorization server's revocation feed (`<issuer>/revocations`), polled in the background
   * every `revocationsPollIntervalSec`: tokens whose `jti` or client it lists fail with
   * `ERR_TOKEN_REVOKED` and leave the verified-token cache. A revocation thus takes effect at most
   * one poll interval plus one fetch (`revocationsTimeoutMs`) after the operator makes it. Works
   * with every key source (a key-file receiver needs it too). Same transport rules as `jwksUri`
   * (https, except loopback or `allowInsecureHttp`); its `iss` must equal `issuer`. Default: none.
   */
  revocationsUri?: string | URL;
  /** Seconds between two fetches of `revocationsUri` (fractions allowed). Default 5. */
  revocationsPollIntervalSec?: number;
  /** Milliseconds one fetch of `revocationsUri` may take. Default 2000. */
  revocationsTimeoutMs?: number;
  /**
   * Seconds without a successful fetch after which the list is stale (logged, and then
   * `revocationsWhenStale` applies). Must be at least the poll interval. Default 300.
   */
  revocationsMaxStaleSec?: number;
  /**
   * What happens once the list is stale (see {@link RevocationsWhenStale}). Default `"refuse"`:
   * an operator who configures a feed relies on revocations taking effect.
   */
  revocationsWhenStale?: RevocationsWhenStale;
  /** `realm` of `WWW-Authenticate` challenges (RFC 6750 §3). Default: the first audience. */
  realm?: string;
  /**
   * Where outages and ignored keys are reported (one line each, never a token). Default `console`;
   * `false` for silence.
   */
  logger?: VerifierLogger | false;
  /**
   * Called synchronously with every accepted and refused token and every load of the key source
   * (see {@link VerifierEvent}), to count them in the service's own metrics registry, e.g.
   * `(event) => event.type === 'token_refused' && refused.inc({ code: event.code })`. Keep it
   * cheap: it runs on the request path. An exception it throws is ignored. Default: none.
   */
  onEvent?: (event: VerifierEvent) => void;
  /**
   * Several token sources in one verifier, e.g. while services move from Laravel Passport: the
   * m2m-auth issuer by `jwksUri` and Passport's `oauth-public.key` with `tokenFormat: "passport"`.
   * Each token goes to exactly one source, chosen by what it says before any signature check:
   * its `typ` (`at+jwt`: an `rfc9068` source; `JWT`: a `passport` source), then its `iss` (the
   * source whose `issuer` equals it; a `passport` source without `issuer` takes Passport's tokens,
   * which carry none, and any other `JWT`-typed token no source claims by `iss`); the `kid` then
   * picks a key of that source only. Keys are never tried across sources. `AuthInfo.source` names
   * the source that accepted the token.
   *
   * With `sources`, only `requiredScopes`, `realm`, `logger`, `maxTokenLength` and `onEvent` may be
   * given beside it (they apply to every source); everything else is per source.
   */
  sources?: readonly TokenSourceOptions[];
}

/**
 * One token source of a multi-source verifier: the options of a single-source verifier (its own
 * key source, `tokenFormat`, `issuer`, `audience`, clock settings) plus a `name`.
 */
export interface TokenSourceOptions
  extends Omit<
    VerifierOptions,
    'sources' | 'requiredScopes' | 'realm' | 'logger' | 'maxTokenLength' | 'onEvent'
  > {
  /** Shown as `AuthInfo.source` (e.g. `"m2m-auth"`, `"passport"`): non-empty, unique. */
  name: string;
}
