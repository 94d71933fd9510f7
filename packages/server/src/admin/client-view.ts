import type { ClientPublicKeys, ClientRecord, ClientSecretHash } from '../clients/client-store.js';
import { formatTime } from '../internal/format-time.js';

/** A client as CLI JSON (snake_case, as OAuth writes it). Never carries secret material. */
export function clientToJson(client: ClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    name: client.name,
    scopes: client.scopes,
    audiences: client.audiences,
    token_ttl_sec: client.tokenTtlSec,
    created_at: client.createdAt,
    updated_at: client.updatedAt,
    revoked_at: client.revokedAt,
    token_format: client.tokenFormat,
  };
}

/** A client as text lines (no secret). */
export function clientToLines(client: ClientRecord): string[] {
  const list = (items: readonly string[]) => (items.length > 0 ? items.join(' ') : '(none)');
  return [
    `  client_id:  ${client.clientId}`,
    `  name:       ${client.name}`,
    `  status:     ${client.revokedAt === null ? 'active' : `revoked at ${formatTime(client.revokedAt)}`}`,
    `  scopes:     ${list(client.scopes)}`,
    `  audiences:  ${list(client.audiences)}`,
    `  token TTL:  ${client.tokenTtlSec} s`,
    `  tokens:     ${client.tokenFormat}`,
    `  created:    ${formatTime(client.createdAt)}`,
    `  updated:    ${formatTime(client.updatedAt)}`,
  ];
}

/** How many secrets a client has, and until when old ones are accepted — never the hashes. */
export function secretsSummary(secrets: readonly ClientSecretHash[]): string {
  if (secrets.length === 0) return 'none';
  const grace = secrets
    .filter((s) => s.expiresAt !== null)
    .map((s) => `one until ${formatTime(s.expiresAt)}`);
  return `${secrets.length} accepted${grace.length > 0 ? ` (${grace.join(', ')})` : ''}`;
}

/** A client's authentication method and public keys as JSON (RFC 7591 names). */
export function publicKeysToJson(keys: ClientPublicKeys | undefined): Record<string, unknown> {
  if (keys === undefined) return { token_endpoint_auth_method: 'client_secret_basic' };
  return {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: keys.alg,
    ...(keys.jwksUri !== null ? { jwks_uri: keys.jwksUri } : { jwks: { keys: keys.keys } }),
  };
}

/** A private_key_jwt client's keys as text lines; none for a client with a secret. */
export function publicKeysToLines(keys: ClientPublicKeys | undefined): string[] {
  if (keys === undefined) return [];
  return [
    `  auth:       private_key_jwt (${keys.alg})`,
    keys.jwksUri !== null
      ? `  jwks_uri:   ${keys.jwksUri}`
      : `  keys:       ${(keys.keys ?? []).map((key) => key.kid).join(', ')}`,
  ];
}
