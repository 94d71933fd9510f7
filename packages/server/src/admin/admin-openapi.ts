import { ACCESS_TOKEN_FORMATS } from '../clients/client-rules.js';
/**
 * The admin API's OpenAPI 3.1 document: the one description of its paths, scopes, bodies and
 * answers. The routes validate bodies and queries with the same schemas, and the tests validate
 * every answer against it.
 */

/** Audience of the access tokens the admin API accepts (RFC 9068 `aud`). */
export const ADMIN_AUDIENCE = 'm2m-auth-admin';

/** Scopes of the admin API, each naming what it allows. */
export const ADMIN_SCOPES = [
  'clients:read',
  'clients:write',
  'keys:read',
  'keys:write',
  'audit:read',
] as const;

/** One admin scope. */
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** Base path of version 1 of the admin API. */
export const ADMIN_API_BASE = '/admin/v1';

const str = { type: 'string' } as const;
const strings = { type: 'array', items: str } as const;
const seconds = { type: 'integer', minimum: 0 } as const;
const secondsOrNull = { type: ['integer', 'null'], minimum: 0 } as const;
const stringOrNull = { type: ['string', 'null'] } as const;
const count = { type: 'integer', minimum: 0 } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const dateTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;
const reasonCounts = {
  type: 'array',
  items: {
    type: 'object',
    properties: { reason: str, count },
    required: ['reason', 'count'],
    additionalProperties: false,
  },
} as const;

const clientProperties = {
  client_id: str,
  name: str,
  scopes: strings,
  audiences: strings,
  token_ttl_sec: { type: 'integer', minimum: 1 },
  created_at: seconds,
  updated_at: seconds,
  revoked_at: secondsOrNull,
  token_format: {
    type: 'string',
    enum: [...ACCESS_TOKEN_FORMATS],
    description:
      'Shape of the tokens issued to the client: rfc9068, or passport (Laravel Passport claims).',
  },
} as const;
const clientRequired = Object.keys(clientProperties);

/** How a client authenticates, shown where the answer reads its credentials. */
const clientAuthProperties = {
  token_endpoint_auth_method: {
    type: 'string',
    enum: ['client_secret_basic', 'private_key_jwt', 'federated'],
    description:
      "RFC 7591: a secret, a client assertion signed by the client (RFC 7523), or a trusted issuer's token (federated).",
  },
  token_endpoint_auth_signing_alg: str,
  jwks_uri: str,
  jwks: {
    type: 'object',
    properties: { keys: { type: 'array', items: { type: 'object' } } },
    required: ['keys'],
  },
  federated_subjects: {
    ...strings,
    description: "The trusted issuers' subjects (<trust>:<subject>) bound to the client.",
  },
} as const;

const keyProperties = {
  kid: str,
  alg: { type: 'string', enum: ['RS256', 'ES256', 'EdDSA'] },
  state: { type: 'string', enum: ['next', 'active', 'retired', 'revoked'] },
  created_at: seconds,
  activates_at: secondsOrNull,
  activated_at: secondsOrNull,
  retired_at: secondsOrNull,
  remove_at: secondsOrNull,
  revoked_at: secondsOrNull,
  next_change: {
    oneOf: [
      { type: 'null' },
      {
        type: 'object',
        properties: {
          state: { type: 'string', enum: ['active', 'retired', 'removed'] },
          at: secondsOrNull,
        },
        required: ['state', 'at'],
        additionalProperties: false,
      },
    ],
  },
  public_jwk: { type: 'object', required: ['kty', 'kid'], properties: { kty: str, kid: str } },
} as const;

/** Component schemas, by name; also the routes' validation schemas (inputs). */
export const ADMIN_SCHEMAS = {
  Client: {
    type: 'object',
    properties: {
      ...clientProperties,
      ...clientAuthProperties,
      legacy_secret_hash: {
        type: 'boolean',
        description:
          'In lists: the client still holds a secret hash adopted from Laravel Passport (bcrypt/argon2id), replaced at its next successful token request.',
      },
    },
    required: clientRequired,
    additionalProperties: false,
  },
  ClientWithSecrets: {
    type: 'object',
    properties: {
      ...clientProperties,
      ...clientAuthProperties,
      secrets: {
        type: 'array',
        description:
          'The accepted secrets: when each stops being accepted (null: no end). Never the secrets.',
        items: {
          type: 'object',
          properties: { expires_at: secondsOrNull },
          required: ['expires_at'],
          additionalProperties: false,
        },
      },
    },
    required: [...clientRequired, 'secrets'],
    additionalProperties: false,
  },
  ClientWithSecret: {
    type: 'object',
    description: 'The client with its new secret: shown in this answer only, never again.',
    properties: {
      ...clientProperties,
      client_secret: { type: 'string', minLength: 32 },
      grace_sec: seconds,
    },
    required: [...clientRequired, 'client_secret'],
    additionalProperties: false,
  },
  ClientList: {
    type: 'object',
    properties: { clients: { type: 'array', items: { $ref: '#/components/schemas/Client' } } },
    required: ['clients'],
    additionalProperties: false,
  },
  ClientCreate: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1 },
      scopes: strings,
      audiences: strings,
      token_ttl_sec: { type: 'integer', minimum: 1 },
    },
    required: ['name'],
    additionalProperties: false,
  },
  ClientUpdate: {
    type: 'object',
    description: 'Each list given replaces the current one.',
    properties: {
      scopes: strings,
      audiences: strings,
      token_ttl_sec: { type: 'integer', minimum: 1 },
    },
    minProperties: 1,
    additionalProperties: false,
  },
  SecretRotation: {
    type: 'object',
    properties: {
      grace_sec: {
        type: 'integer',
        minimum: 0,
        description: 'Seconds the previous secret stays accepted; default 0 (rejected at once).',
      },
    },
    additionalProperties: false,
  },
  Key: {
    type: 'object',
    properties: keyProperties,
    required: Object.keys(keyProperties),
    additionalProperties: false,
  },
  KeyList: {
    type: 'object',
    properties: { keys: { type: 'array', items: { $ref: '#/components/schemas/Key' } } },
    required: ['keys'],
    additionalProperties: false,
  },
  KeyRotation: {
    type: 'object',
    properties: {
      alg: { type: 'string', enum: ['RS256', 'ES256', 'EdDSA'] },
      propagation_sec: {
        type: 'integer',
        minimum: 0,
        description: 'Seconds between publishing the new key and signing with it (default 600).',
      },
      immediately: { type: 'boolean', description: 'Activate at once (emergency).' },
    },
    additionalProperties: false,
  },
  KeyChange: {
    type: 'object',
    properties: {
      created: { type: 'array', items: { $ref: '#/components/schemas/Key' } },
      scheduled: {
        type: 'array',
        items: {
          type: 'object',
          properties: { kid: str, activates_at: secondsOrNull },
          required: ['kid', 'activates_at'],
          additionalProperties: false,
        },
      },
      activated: strings,
      retired: {
        type: 'array',
        items: {
          type: 'object',
          properties: { kid: str, remove_at: secondsOrNull },
          required: ['kid', 'remove_at'],
          additionalProperties: false,
        },
      },
      revoked: strings,
      removed: strings,
      skipped: { type: 'boolean' },
    },
    required: ['created', 'scheduled', 'activated', 'retired', 'revoked', 'removed', 'skipped'],
    additionalProperties: false,
  },
  AuditEvent: {
    type: 'object',
    properties: {
      time: { type: 'string', format: 'date-time' },
      outcome: {
        type: 'string',
        enum: [
          'issued',
          'refused',
          'introspected',
          'introspection_refused',
          'revoked',
          'revocation_refused',
        ],
      },
      client_id: stringOrNull,
      client_name: stringOrNull,
      audience: stringOrNull,
      scopes: { type: ['array', 'null'], items: str },
      jti: stringOrNull,
      source_address: stringOrNull,
      reason: stringOrNull,
      detail: stringOrNull,
      status: { type: 'integer' },
    },
    required: [
      'time',
      'outcome',
      'client_id',
      'client_name',
      'audience',
      'scopes',
      'jti',
      'source_address',
      'reason',
      'detail',
      'status',
    ],
    additionalProperties: false,
  },
  AuditEventList: {
    type: 'object',
    properties: { events: { type: 'array', items: { $ref: '#/components/schemas/AuditEvent' } } },
    required: ['events'],
    additionalProperties: false,
  },
  ServiceGraph: {
    type: 'object',
    description:
      'Who called whom in the period (m2m-auth audit graph --format json): services as nodes, client → audience edges with the scopes their tokens carried, token counts and refusals.',
    properties: {
      since: dateTime,
      until: dateTime,
      first_event: dateTimeOrNull,
      nodes: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: str,
            client_id: stringOrNull,
            registered: { type: 'boolean' },
            revoked: { type: 'boolean' },
            tokens_issued: count,
            tokens_received: count,
            refusals: count,
            refusals_without_audience: count,
          },
          required: [
            'id',
            'client_id',
            'registered',
            'revoked',
            'tokens_issued',
            'tokens_received',
            'refusals',
            'refusals_without_audience',
          ],
          additionalProperties: false,
        },
      },
      edges: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            from: str,
            to: str,
            client_id: str,
            tokens: count,
            scopes: {
              type: 'array',
              items: {
                type: 'object',
                properties: { scope: str, tokens: count },
                required: ['scope', 'tokens'],
                additionalProperties: false,
              },
            },
            refusals: count,
            refusal_reasons: reasonCounts,
            last_issued: dateTimeOrNull,
            last_refused: dateTimeOrNull,
          },
          required: [
            'from',
            'to',
            'client_id',
            'tokens',
            'scopes',
            'refusals',
            'refusal_reasons',
            'last_issued',
            'last_refused',
          ],
          additionalProperties: false,
        },
      },
      unattributed_refusals: reasonCounts,
      totals: {
        type: 'object',
        properties: { issued: count, refused: count },
        required: ['issued', 'refused'],
        additionalProperties: false,
      },
      truncated: {
        type: 'object',
        properties: { issued: { type: 'boolean' }, refused: { type: 'boolean' } },
        required: ['issued', 'refused'],
        additionalProperties: false,
      },
    },
    required: [
      'since',
      'until',
      'first_event',
      'nodes',
      'edges',
      'unattributed_refusals',
      'totals',
      'truncated',
    ],
    additionalProperties: false,
  },
  UnusedGrants: {
    type: 'object',
    description:
      'Grants no issued token used in the period, and clients that got no token (m2m-auth audit unused --json), each with the CLI command that removes them.',
    properties: {
      since: dateTime,
      until: dateTime,
      first_event: dateTimeOrNull,
      covers_period: { type: 'boolean' },
      truncated: { type: 'boolean' },
      unused_count: count,
      clients: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            client_id: str,
            name: str,
            created_at: dateTime,
            younger_than_period: { type: 'boolean' },
            tokens: count,
            refusals: count,
            idle: { type: 'boolean' },
            unused_audiences: strings,
            unused_scopes: strings,
            command: str,
            manifest_changes: strings,
          },
          required: [
            'client_id',
            'name',
            'created_at',
            'younger_than_period',
            'tokens',
            'refusals',
            'idle',
            'unused_audiences',
            'unused_scopes',
            'command',
            'manifest_changes',
          ],
          additionalProperties: false,
        },
      },
    },
    required: [
      'since',
      'until',
      'first_event',
      'covers_period',
      'truncated',
      'unused_count',
      'clients',
    ],
    additionalProperties: false,
  },
  Error: {
    type: 'object',
    description: 'RFC 6749 §5.2-style error; `code` is stable (packages/server/ERRORS.md).',
    properties: { error: str, error_description: str, code: str },
    required: ['error', 'error_description', 'code'],
    additionalProperties: false,
  },
} as const;

/** Query of `GET /admin/v1/audit`. */
export const AUDIT_QUERY_SCHEMA = {
  type: 'object',
  properties: {
    client: { type: 'string', minLength: 1 },
    since_sec: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
    outcome: { type: 'string', enum: ['issued', 'refused'] },
    limit: { type: 'integer', minimum: 1, maximum: 10000 },
  },
  additionalProperties: false,
} as const;

/** Default period of `GET /admin/v1/audit/graph`, seconds (7 days, as `audit graph`). */
export const GRAPH_DEFAULT_SINCE_SEC = 7 * 86_400;
/** Default period of `GET /admin/v1/audit/unused`, seconds (30 days, as `audit unused`). */
export const UNUSED_DEFAULT_SINCE_SEC = 30 * 86_400;

/** The period query of the graph and unused-grants reports. */
const periodParameter = (defaultSec: number) => ({
  name: 'since_sec',
  in: 'query',
  required: false,
  description: `Length of the period ending now, seconds (default ${defaultSec}).`,
  schema: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
});

const ref = (name: keyof typeof ADMIN_SCHEMAS) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof ADMIN_SCHEMAS, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(name) } },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    [401, 403, 503, 500, ...statuses].map((status) => [
      String(status),
      json('Error', ERROR_TEXT[status] ?? 'Error'),
    ]),
  );
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request (ERR_ADMIN_REQUEST_INVALID, or the store code)',
  401: 'No token, or an invalid one (ERR_ADMIN_TOKEN_MISSING, ERR_ADMIN_TOKEN_INVALID)',
  403: 'The token lacks the scope (ERR_ADMIN_SCOPE_INSUFFICIENT)',
  404: 'No such client or key (ERR_ADMIN_NOT_FOUND)',
  409: 'Conflicts with the current state (ERR_ADMIN_CONFLICT)',
  500: 'Internal error (ERR_INTERNAL)',
  503: 'The database does not answer (ERR_STORE_UNAVAILABLE)',
};
const clientParam = {
  name: 'client',
  in: 'path',
  required: true,
  description: 'client_id or name',
  schema: str,
};
const body = (name: keyof typeof ADMIN_SCHEMAS, required = true) => ({
  required,
  content: { 'application/json': { schema: ref(name) } },
});
const op = (
  operationId: string,
  summary: string,
  scope: AdminScope,
  responses: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  operationId,
  summary,
  security: [{ m2mAuth: [scope] }],
  ...extra,
  responses,
});

/**
 * The OpenAPI 3.1 document of the admin API, for a server with this issuer (its token endpoint
 * is the security scheme's `tokenUrl`).
 */
export function buildAdminOpenApi(issuer: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'm2m-auth admin API',
      version: '1.0.0',
      description: `Manage clients, signing keys and the audit log of an m2m-auth server, on its admin listener (serve --admin-port). Authorize with an access token of this server for the audience ${ADMIN_AUDIENCE} (client credentials), carrying the operation's scope. Client secrets appear only in the answers of create and rotate-secret.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    components: {
      securitySchemes: {
        m2mAuth: {
          type: 'oauth2',
          description: `Client credentials with audience=${ADMIN_AUDIENCE}; the access token is sent as a Bearer token (RFC 6750).`,
          flows: {
            clientCredentials: {
              tokenUrl: `${issuer.replace(/\/+$/, '')}/oauth/token`,
              scopes: {
                'clients:read': 'list and show clients',
                'clients:write': 'create, update, rotate the secret of and revoke clients',
                'keys:read': 'list signing keys',
                'keys:write': 'rotate and revoke signing keys',
                'audit:read': 'read the audit log',
              },
            },
          },
        },
      },
      schemas: ADMIN_SCHEMAS,
    },
    paths: {
      [`${ADMIN_API_BASE}/clients`]: {
        get: op('listClients', 'List clients', 'clients:read', {
          200: json('ClientList', 'Every client, revoked ones included'),
          ...errors(),
        }),
        post: op(
          'createClient',
          'Register a client; its secret is in this answer only',
          'clients:write',
          { 201: json('ClientWithSecret', 'The client and its secret'), ...errors(400, 409) },
          { requestBody: body('ClientCreate') },
        ),
      },
      [`${ADMIN_API_BASE}/clients/{client}`]: {
        parameters: [clientParam],
        get: op('showClient', 'Show a client (never its secret)', 'clients:read', {
          200: json('ClientWithSecrets', 'The client'),
          ...errors(404),
        }),
        patch: op(
          'updateClient',
          "Replace a client's scopes, audiences or token lifetime",
          'clients:write',
          { 200: json('Client', 'The updated client'), ...errors(400, 404, 409) },
          { requestBody: body('ClientUpdate') },
        ),
      },
      [`${ADMIN_API_BASE}/clients/{client}/rotate-secret`]: {
        parameters: [clientParam],
        post: op(
          'rotateClientSecret',
          'Issue a new secret; it is in this answer only',
          'clients:write',
          {
            200: json('ClientWithSecret', 'The client and its new secret'),
            ...errors(400, 404, 409),
          },
          { requestBody: body('SecretRotation', false) },
        ),
      },
      [`${ADMIN_API_BASE}/clients/{client}/revoke`]: {
        parameters: [clientParam],
        post: op(
          'revokeClient',
          'Revoke a client (its next token request fails)',
          'clients:write',
          {
            200: json('Client', 'The revoked client'),
            ...errors(404),
          },
        ),
      },
      [`${ADMIN_API_BASE}/keys`]: {
        get: op('listKeys', 'List signing keys with their state and next change', 'keys:read', {
          200: json('KeyList', 'Every signing key (public material only)'),
          ...errors(),
        }),
      },
      [`${ADMIN_API_BASE}/keys/rotate`]: {
        post: op(
          'rotateKeys',
          'Start a key rotation',
          'keys:write',
          { 200: json('KeyChange', 'What changed'), ...errors(400, 409) },
          { requestBody: body('KeyRotation', false) },
        ),
      },
      [`${ADMIN_API_BASE}/keys/{kid}/revoke`]: {
        parameters: [{ name: 'kid', in: 'path', required: true, schema: str }],
        post: op('revokeKey', 'Revoke a signing key at once (compromise)', 'keys:write', {
          200: json('KeyChange', 'What changed'),
          ...errors(404, 409),
        }),
      },
      [`${ADMIN_API_BASE}/audit`]: {
        get: op(
          'readAudit',
          'The most recent audit events, oldest first (serve --audit-store)',
          'audit:read',
          { 200: json('AuditEventList', 'The events'), ...errors(400) },
          {
            parameters: Object.entries(AUDIT_QUERY_SCHEMA.properties).map(([name, schema]) => ({
              name,
              in: 'query',
              required: false,
              schema,
            })),
          },
        ),
      },
      [`${ADMIN_API_BASE}/audit/graph`]: {
        get: op(
          'readServiceGraph',
          'Who called whom in the period, from the audit table (serve --audit-store)',
          'audit:read',
          { 200: json('ServiceGraph', 'The service graph'), ...errors(400) },
          { parameters: [periodParameter(GRAPH_DEFAULT_SINCE_SEC)] },
        ),
      },
      [`${ADMIN_API_BASE}/audit/unused`]: {
        get: op(
          'readUnusedGrants',
          'Grants no token used in the period, and clients that got no token',
          'audit:read',
          { 200: json('UnusedGrants', 'The least-privilege report'), ...errors(400) },
          { parameters: [periodParameter(UNUSED_DEFAULT_SINCE_SEC)] },
        ),
      },
    },
  };
}
