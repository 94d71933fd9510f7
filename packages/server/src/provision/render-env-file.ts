import { basename } from 'node:path';
import { type DotenvLine, renderDotenv } from './internal/render-dotenv.js';
import type { ManifestService } from './parse-manifest.js';
import type { ProvisionEndpoints } from './resolve-endpoints.js';

/** What one service's `.env` is made of. */
export interface EnvFileInput {
  service: ManifestService;
  endpoints: ProvisionEndpoints;
  /** The manifest's file name (its base name goes in the header comment). */
  source: string;
  /** The caller's credentials; required when the service calls others. */
  /** A secret, or (private_key_jwt) the path of the private key file. */
  credentials?: { clientId: string; clientSecret: string; privateKeyPath?: string } | undefined;
  /** Absolute path of the exported public key; required when the service receives calls. */
  publicKeyPath?: string | undefined;
}

/**
 * Renders the `.env` of one service. Callers get `AUTH_URL` (the token endpoint), `OAUTH_CLIENT_ID`
 * and `OAUTH_CLIENT_SECRET` (RFC 6749 §4.4); receivers (services declaring scopes) get
 * `OAUTH_PUBLIC_KEY_PATH`, `OAUTH_JWKS_URL`, `OAUTH_ISSUER` and `OAUTH_AUDIENCE` (their own name),
 * what a resource server needs to verify access tokens (RFC 9068 §4). The content depends only on its
 * inputs (no timestamp), so an unchanged service gets a byte-identical file.
 *
 * @throws {TypeError} when a caller has no credentials or a receiver no public-key path.
 * @example
 * ```ts
 * renderEnvFile({ service, endpoints, source: 'services.yaml', credentials: { clientId, clientSecret } });
 * ```
 */
export function renderEnvFile(input: EnvFileInput): string {
  const { service, endpoints } = input;
  const lines: DotenvLine[] = [
    { comment: `${service.name}: written by \`m2m-auth provision ${basename(input.source)}\`.` },
    { comment: 'Keep it private (mode 0600) and out of version control: it may hold a secret.' },
  ];
  if (service.calls.length > 0) {
    if (!input.credentials)
      throw new TypeError(`${service.name} calls others but has no credentials`);
    lines.push(
      { comment: '' },
      { comment: 'Client: get access tokens (client_credentials grant) from the token endpoint.' },
      ...service.calls.map((c) => ({
        comment: `may call ${c.service} with ${c.scopes.join(' ')}`,
      })),
      { key: 'AUTH_URL', value: endpoints.tokenUrl },
      { key: 'OAUTH_CLIENT_ID', value: input.credentials.clientId },
      input.credentials.privateKeyPath === undefined
        ? { key: 'OAUTH_CLIENT_SECRET', value: input.credentials.clientSecret }
        : { key: 'OAUTH_CLIENT_KEY_PATH', value: input.credentials.privateKeyPath },
    );
  }
  if (service.scopes.length > 0) {
    if (!input.publicKeyPath) throw new TypeError(`${service.name} receives calls but has no key`);
    lines.push(
      { comment: '' },
      { comment: `Resource server: accept access tokens for audience ${service.name}.` },
      { comment: `scopes it knows: ${service.scopes.join(' ')}` },
      {
        comment:
          'key file of every published key; keep it current with: m2m-auth serve --publish-keys <its folder>',
      },
      { key: 'OAUTH_PUBLIC_KEY_PATH', value: input.publicKeyPath },
      { key: 'OAUTH_JWKS_URL', value: endpoints.jwksUrl },
      { key: 'OAUTH_ISSUER', value: endpoints.issuer },
      { key: 'OAUTH_AUDIENCE', value: service.name },
    );
  }
  return renderDotenv(lines);
}
