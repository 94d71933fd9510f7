import { JWKS_PATH, TOKEN_PATH } from '../http/endpoint-paths.js';
import { normalizeUrl } from './internal/normalize-url.js';
import type { Manifest } from './parse-manifest.js';
import { ProvisionError } from './provision-error.js';

/** The URLs written into the `.env` files. */
export interface ProvisionEndpoints {
  /** Token endpoint, the callers' `AUTH_URL`, e.g. `http://127.0.0.1:8080/oauth/token`. */
  tokenUrl: string;
  /** The receivers' `OAUTH_JWKS_URL`. */
  jwksUrl: string;
  /** The receivers' `OAUTH_ISSUER`: the `iss` the authorization server puts in its tokens. */
  issuer: string;
}

/** Command-line values that take precedence over the manifest's. */
export interface EndpointOverrides {
  authUrl?: string | undefined;
  issuer?: string | undefined;
  jwksUrl?: string | undefined;
}

function checked(value: string, what: string): string {
  const result = normalizeUrl(value);
  if ('reason' in result) {
    throw new ProvisionError('ERR_MANIFEST_INVALID', `${what}: ${result.reason}`);
  }
  return result.url;
}

/**
 * Decides the token endpoint, JWKS URL and issuer from the base URL of the authorization server
 * (`--auth-url`, else the manifest's `auth_url`) and the optional `issuer` / `jwks_url` overrides.
 * The issuer defaults to the base URL, as `m2m-auth serve` does (RFC 8414 §2).
 *
 * @throws {ProvisionError} `ERR_MANIFEST_INVALID` when no base URL is given or a URL is not http(s).
 * @example
 * ```ts
 * resolveEndpoints(manifest, { authUrl: 'http://127.0.0.1:8080' }).tokenUrl; // 'http://127.0.0.1:8080/oauth/token'
 * ```
 */
export function resolveEndpoints(
  manifest: Manifest,
  overrides: EndpointOverrides = {},
): ProvisionEndpoints {
  const base = overrides.authUrl ?? manifest.authUrl;
  if (base === undefined) {
    throw new ProvisionError(
      'ERR_MANIFEST_INVALID',
      `the authorization server's URL is not set: add auth_url to ${manifest.source} or pass --auth-url`,
    );
  }
  const authUrl = checked(base, overrides.authUrl ? '--auth-url' : 'auth_url');
  const jwks = overrides.jwksUrl ?? manifest.jwksUrl;
  const issuer = overrides.issuer ?? manifest.issuer;
  // The issuer is compared as an exact string (RFC 9068 §4): keep it as written, only checked.
  if (issuer !== undefined) checked(issuer, 'issuer');
  return {
    tokenUrl: authUrl + TOKEN_PATH,
    jwksUrl: jwks === undefined ? authUrl + JWKS_PATH : checked(jwks, 'jwks_url'),
    issuer: issuer ?? authUrl,
  };
}
