import { readFileSync } from 'node:fs';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../extract-bearer-token.js';
import { isScopeToken } from '../is-scope-token.js';
import type { SupportedAlgorithm, TokenFormat, VerifierLogger } from '../types.js';
import type { VerifierOptions } from '../verifier-options.js';
import { checkOptionNames } from './check-option-names.js';
import { inspectPem, selectJwk } from './import-keys.js';
import {
  createKeyFileLoader,
  createRemoteJwksLoader,
  createStaticPemLoader,
  type KeyLoader,
  parseKeyFileText,
} from './key-loaders.js';
import type { RevocationFeedSettings } from './revocation-feed.js';
import type { ClaimsPolicy } from './validate-claims.js';

/** Every algorithm the verifier can be configured with. */
export const SUPPORTED_ALGORITHMS: readonly SupportedAlgorithm[] = [
  'RS256',
  'PS256',
  'ES256',
  'EdDSA',
  'Ed25519',
];

/** Algorithms accepted from a JWK Set when `algorithms` is not set (PS256 only on request). */
export const DEFAULT_JWKS_ALGORITHMS: readonly SupportedAlgorithm[] = [
  'RS256',
  'ES256',
  'EdDSA',
  'Ed25519',
];

/** Defaults, in the units their names say. */
export const DEFAULTS = {
  clockToleranceSec: 30,
  tokenCacheMaxEntries: 1000,
  jwksCacheMaxAgeSec: 300,
  jwksCooldownSec: 30,
  jwksTimeoutMs: 5000,
  keyFileRefreshSec: 5,
  revocationsPollIntervalSec: 5,
  revocationsTimeoutMs: 2000,
  revocationsMaxStaleSec: 300,
  revocationsWhenStale: 'refuse',
} as const;

/** Every option name of `createVerifier`; anything else is refused. */
export const VERIFIER_OPTION_NAMES = [
  'issuer',
  'audience',
  'publicKey',
  'publicKeyPath',
  'jwksUri',
  'allowInsecureHttp',
  'algorithms',
  'tokenFormat',
  'clockToleranceSec',
  'maxTokenAgeSec',
  'requiredScopes',
  'maxTokenLength',
  'tokenCache',
  'jwksCacheMaxAgeSec',
  'jwksCooldownSec',
  'jwksTimeoutMs',
  'keyFileRefreshSec',
  'revocationsUri',
  'revocationsPollIntervalSec',
  'revocationsTimeoutMs',
  'revocationsMaxStaleSec',
  'revocationsWhenStale',
  'realm',
  'logger',
  'onEvent',
] as const satisfies readonly (keyof VerifierOptions)[];

// Fails to compile when VerifierOptions gains an option the list above lacks (`sources` is
// taken apart by createVerifier before these options are resolved).
type UnlistedOption = Exclude<
  keyof VerifierOptions,
  (typeof VERIFIER_OPTION_NAMES)[number] | 'sources'
>;
const everyOptionListed: [UnlistedOption] extends [never] ? true : UnlistedOption = true;
void everyOptionListed;

/** Verifier options checked and completed with defaults. */
export interface ResolvedOptions {
  readonly format: TokenFormat;
  readonly policy: ClaimsPolicy;
  /** Algorithms a token header may name. */
  readonly algorithms: ReadonlySet<string>;
  readonly requiredScopes: readonly string[];
  readonly maxTokenLength: number;
  /** 0 when the verified-token cache is off. */
  readonly tokenCacheMaxEntries: number;
  readonly loader: KeyLoader;
  readonly refreshSec: number;
  readonly cooldownSec: number;
  readonly logger: VerifierLogger | undefined;
  readonly realm: string | undefined;
  /** The revocation feed's settings, or undefined without `revocationsUri`. */
  readonly revocations: RevocationFeedSettings | undefined;
}

/**
 * Checks every option at construction, so a misconfigured service fails at start with a
 * TypeError naming the option, not at its first request.
 *
 * @throws TypeError
 */
export function resolveOptions(options: VerifierOptions, source?: string): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createVerifier options must be an object');
  }
  checkOptionNames(options, VERIFIER_OPTION_NAMES, 'createVerifier');
  const format = options.tokenFormat ?? 'rfc9068';
  if (format !== 'rfc9068' && format !== 'passport') {
    throw new TypeError('tokenFormat must be "rfc9068" or "passport"');
  }

  const issuer = options.issuer;
  if (issuer !== undefined && (typeof issuer !== 'string' || issuer === '')) {
    throw new TypeError('issuer must be a non-empty string');
  }
  if (format === 'rfc9068' && issuer === undefined) {
    throw new TypeError('issuer is required (the exact iss of the authorization server)');
  }
  const audienceList =
    options.audience === undefined
      ? undefined
      : typeof options.audience === 'string'
        ? [options.audience]
        : options.audience;
  if (
    audienceList !== undefined &&
    (!Array.isArray(audienceList) ||
      audienceList.length === 0 ||
      !audienceList.every((value) => typeof value === 'string' && value !== ''))
  ) {
    throw new TypeError('audience must be a non-empty string or a non-empty array of them');
  }
  if (format === 'rfc9068' && audienceList === undefined) {
    throw new TypeError("audience is required (this service's own identifier, e.g. ms_doctor)");
  }

  const configuredAlgorithms =
    options.algorithms === undefined ? undefined : new Set<string>(options.algorithms);
  if (configuredAlgorithms !== undefined) {
    if (
      !Array.isArray(options.algorithms) ||
      configuredAlgorithms.size === 0 ||
      ![...configuredAlgorithms].every((alg) =>
        SUPPORTED_ALGORITHMS.includes(alg as SupportedAlgorithm),
      )
    ) {
      throw new TypeError(
        `algorithms must be a non-empty list of ${SUPPORTED_ALGORITHMS.join(', ')} (never none or HMAC)`,
      );
    }
  }
  const defaultAlgorithms = new Set<string>(DEFAULT_JWKS_ALGORITHMS);
  const algorithms = configuredAlgorithms ?? defaultAlgorithms;

  const clockToleranceSec = nonNegative(
    'clockToleranceSec',
    options.clockToleranceSec,
    DEFAULTS.clockToleranceSec,
  );
  const maxTokenAgeSec =
    options.maxTokenAgeSec === undefined
      ? undefined
      : positive('maxTokenAgeSec', options.maxTokenAgeSec, 0);
  const requiredScopes = scopeList('requiredScopes', options.requiredScopes);
  const maxTokenLength = positiveInteger(
    'maxTokenLength',
    options.maxTokenLength,
    DEFAULT_MAX_TOKEN_LENGTH,
  );
  const tokenCacheMaxEntries = resolveTokenCache(options.tokenCache);
  const logger = resolveLogger(options.logger);
  const realm = options.realm ?? audienceList?.[0];
  if (realm !== undefined && (typeof realm !== 'string' || !/^[\x20-\x7e]*$/.test(realm))) {
    throw new TypeError('realm must be printable ASCII');
  }

  const cooldownSec = positive(
    'jwksCooldownSec',
    options.jwksCooldownSec,
    DEFAULTS.jwksCooldownSec,
  );
  const { loader, refreshSec } = resolveKeySource(
    options,
    configuredAlgorithms,
    defaultAlgorithms,
    logger,
    cooldownSec,
  );

  return {
    format,
    policy: {
      format,
      issuer,
      audiences: audienceList === undefined ? undefined : new Set(audienceList),
      clockToleranceSec,
      maxTokenAgeSec,
      source,
    },
    algorithms,
    requiredScopes,
    maxTokenLength,
    tokenCacheMaxEntries,
    loader,
    refreshSec,
    cooldownSec: Math.min(cooldownSec, refreshSec),
    logger,
    realm,
    revocations: resolveRevocations(options, issuer, logger),
  };
}

function resolveRevocations(
  options: VerifierOptions,
  issuer: string | undefined,
  logger: VerifierLogger | undefined,
): RevocationFeedSettings | undefined {
  if (options.revocationsUri === undefined) {
    for (const name of [
      'revocationsPollIntervalSec',
      'revocationsTimeoutMs',
      'revocationsMaxStaleSec',
      'revocationsWhenStale',
    ] as const) {
      if (options[name] !== undefined) throw new TypeError(`${name} needs revocationsUri`);
    }
    return undefined;
  }
  const url = parseHttpsUri(
    'revocationsUri',
    options.revocationsUri,
    options.allowInsecureHttp === true,
  );
  const pollIntervalSec = positive(
    'revocationsPollIntervalSec',
    options.revocationsPollIntervalSec,
    DEFAULTS.revocationsPollIntervalSec,
  );
  const timeoutMs = positive(
    'revocationsTimeoutMs',
    options.revocationsTimeoutMs,
    DEFAULTS.revocationsTimeoutMs,
  );
  const maxStaleSec = positive(
    'revocationsMaxStaleSec',
    options.revocationsMaxStaleSec,
    DEFAULTS.revocationsMaxStaleSec,
  );
  if (maxStaleSec < pollIntervalSec) {
    throw new TypeError(
      'revocationsMaxStaleSec must not be shorter than revocationsPollIntervalSec',
    );
  }
  const whenStale = options.revocationsWhenStale ?? DEFAULTS.revocationsWhenStale;
  if (whenStale !== 'refuse' && whenStale !== 'accept') {
    throw new TypeError('revocationsWhenStale must be "refuse" or "accept"');
  }
  return {
    url,
    pollIntervalMs: pollIntervalSec * 1000,
    timeoutMs,
    maxStaleMs: maxStaleSec * 1000,
    whenStale,
    issuer,
    logger,
  };
}

function resolveKeySource(
  options: VerifierOptions,
  configuredAlgorithms: ReadonlySet<string> | undefined,
  defaultAlgorithms: ReadonlySet<string>,
  logger: VerifierLogger | undefined,
  cooldownSec: number,
): { loader: KeyLoader; refreshSec: number } {
  const given = (['publicKey', 'publicKeyPath', 'jwksUri'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length > 1) {
    throw new TypeError(`give one key source, not ${given.join(' and ')}`);
  }
  if (options.publicKey !== undefined) {
    if (typeof options.publicKey !== 'string') {
      throw new TypeError('publicKey must be PEM text');
    }
    const key = inspectPem(options.publicKey, configuredAlgorithms, 'publicKey');
    return { loader: createStaticPemLoader(key), refreshSec: Infinity };
  }
  if (options.jwksUri !== undefined) {
    const url = parseJwksUri(options.jwksUri, options.allowInsecureHttp === true);
    const refreshSec = positive(
      'jwksCacheMaxAgeSec',
      options.jwksCacheMaxAgeSec,
      DEFAULTS.jwksCacheMaxAgeSec,
    );
    if (refreshSec < cooldownSec) {
      throw new TypeError('jwksCacheMaxAgeSec must not be shorter than jwksCooldownSec');
    }
    const timeoutMs = positive('jwksTimeoutMs', options.jwksTimeoutMs, DEFAULTS.jwksTimeoutMs);
    return {
      loader: createRemoteJwksLoader(
        url,
        timeoutMs,
        configuredAlgorithms ?? defaultAlgorithms,
        logger,
      ),
      refreshSec,
    };
  }
  const fromEnv = options.publicKeyPath === undefined;
  const path = options.publicKeyPath ?? process.env['OAUTH_PUBLIC_KEY_PATH'];
  if (path === undefined || path === '') {
    throw new TypeError(
      'give a key source: publicKey, publicKeyPath, jwksUri, or the OAUTH_PUBLIC_KEY_PATH environment variable',
    );
  }
  if (typeof path !== 'string') throw new TypeError('publicKeyPath must be a file path');
  const label = fromEnv ? `OAUTH_PUBLIC_KEY_PATH (${path})` : `publicKeyPath (${path})`;
  checkKeyFile(path, label, configuredAlgorithms, defaultAlgorithms);
  return {
    loader: createKeyFileLoader(path, configuredAlgorithms, defaultAlgorithms, logger),
    refreshSec: positive(
      'keyFileRefreshSec',
      options.keyFileRefreshSec,
      DEFAULTS.keyFileRefreshSec,
    ),
  };
}

/** Reads the key file once at construction so a wrong path or key fails at start. */
function checkKeyFile(
  path: string,
  label: string,
  configuredAlgorithms: ReadonlySet<string> | undefined,
  defaultAlgorithms: ReadonlySet<string>,
): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TypeError(`${label} cannot be read`, { cause });
  }
  const content = parseKeyFileText(text, label, configuredAlgorithms);
  if ('pem' in content) return;
  const keys = (content.json as { keys?: unknown } | null)?.keys;
  const allowed = configuredAlgorithms ?? defaultAlgorithms;
  if (!Array.isArray(keys) || !keys.some((jwk) => !('ignored' in selectJwk(jwk, allowed)))) {
    throw new TypeError(`${label} is a JSON file without a usable verification key`);
  }
  // The same kid for two different keys: the file is the operator's, so say it at start.
  const keyOfKid = new Map<string, string>();
  for (const jwk of keys) {
    const selection = selectJwk(jwk, allowed);
    if ('ignored' in selection || selection.kid === undefined) continue;
    for (const alg of selection.algs) {
      const pair = `${selection.kid}|${alg}`;
      const material = JSON.stringify(selection.publicJwk);
      const known = keyOfKid.get(pair);
      if (known !== undefined && known !== material) {
        throw new TypeError(
          `${label} gives kid ${JSON.stringify(selection.kid.slice(0, 80))} to several different keys; each key needs its own kid (RFC 7517 §4.5)`,
        );
      }
      keyOfKid.set(pair, material);
    }
  }
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function parseJwksUri(value: string | URL, allowInsecureHttp: boolean): URL {
  return parseHttpsUri('jwksUri', value, allowInsecureHttp);
}

function parseHttpsUri(name: string, value: string | URL, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch (cause) {
    throw new TypeError(`${name} must be an absolute URL`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${name} must be an https URL`);
  }
  if (url.protocol === 'http:' && !allowInsecureHttp && !LOOPBACK.test(url.hostname)) {
    throw new TypeError(
      `${name} must use https (plain http lets anyone on the path change what it says); set allowInsecureHttp: true for a trusted private network`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`${name} must not carry credentials`);
  }
  return url;
}

function resolveTokenCache(value: VerifierOptions['tokenCache']): number {
  if (value === undefined || value === true) return DEFAULTS.tokenCacheMaxEntries;
  if (value === false) return 0;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('tokenCache must be a boolean or { maxEntries }');
  }
  checkOptionNames(value, ['maxEntries'], 'createVerifier tokenCache');
  return positiveInteger('tokenCache.maxEntries', value.maxEntries, DEFAULTS.tokenCacheMaxEntries);
}

function resolveLogger(value: VerifierOptions['logger']): VerifierLogger | undefined {
  if (value === false) return undefined;
  if (value === undefined) return console;
  if (typeof value !== 'object' || value === null || typeof value.warn !== 'function') {
    throw new TypeError('logger must have a warn(message) method, or be false');
  }
  return value;
}

function scopeList(name: string, value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  if (
    !Array.isArray(value) ||
    !value.every((scope) => typeof scope === 'string' && isScopeToken(scope))
  ) {
    throw new TypeError(`${name} must be a list of scope tokens (RFC 6749 §3.3)`);
  }
  return Object.freeze([...value]);
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a finite number >= 0`);
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a finite number > 0`);
  }
  return value;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer`);
  }
  return value;
}
