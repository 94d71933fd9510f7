import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { AdminApiError } from '../../admin/admin-api-error.js';
import {
  ADMIN_API_BASE,
  ADMIN_AUDIENCE,
  ADMIN_SCHEMAS,
  ADMIN_SCOPES,
  type AdminScope,
  buildAdminOpenApi,
  GRAPH_DEFAULT_SINCE_SEC,
  UNUSED_DEFAULT_SINCE_SEC,
} from '../../admin/admin-openapi.js';
import { createClient } from '../../admin/operations/create-client.js';
import { listClients } from '../../admin/operations/list-clients.js';
import { listKeys } from '../../admin/operations/list-keys.js';
import { readAudit } from '../../admin/operations/read-audit.js';
import { readServiceGraph } from '../../admin/operations/read-service-graph.js';
import { readUnusedGrants } from '../../admin/operations/read-unused-grants.js';
import { revokeClient } from '../../admin/operations/revoke-client.js';
import { revokeKey } from '../../admin/operations/revoke-key.js';
import { rotateClientSecret } from '../../admin/operations/rotate-client-secret.js';
import { rotateKeys } from '../../admin/operations/rotate-keys.js';
import { showClient } from '../../admin/operations/show-client.js';
import { updateClient } from '../../admin/operations/update-client.js';
import type { Store } from '../../app/store.js';
import { SIGNING_ALGS } from '../../keys/signing-key-pair.js';
import type { SigningAlg } from '../../tokens/token-types.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the admin API's OpenAPI document (admin listener). */
export const ADMIN_OPENAPI_PATH = '/openapi.json';

/** Realm of the admin API's `WWW-Authenticate: Bearer` challenges. */
const REALM = ADMIN_AUDIENCE;

/**
 * Registers the admin API (versioned JSON under `/admin/v1`) and its OpenAPI 3.1 document at
 * `/openapi.json`, on the admin listener. Each request must carry an access token of this server
 * (RFC 9068, verified against its own published keys) for the audience `m2m-auth-admin` with the
 * operation's scope, from a client that is not revoked. Each operation is the one the CLI runs.
 */
export function registerAdminApiRoutes(
  app: FastifyInstance,
  context: ServerContext,
  store: Store,
): void {
  app.get(ADMIN_OPENAPI_PATH, async () => buildAdminOpenApi(context.issuer));

  /** The admin client and scopes of the token each authorized request carried. */
  const callers = new WeakMap<FastifyRequest, { clientId: string; scopes: readonly string[] }>();

  // Every change made through the API leaves a line saying which admin client made it (no body:
  // it may hold a new secret).
  app.addHook('onResponse', async (request, reply) => {
    const caller = callers.get(request);
    if (caller === undefined || request.method === 'GET') return;
    request.log.info(
      {
        adminClientId: caller.clientId,
        method: request.method,
        path: request.routeOptions.url,
        params: request.params,
        statusCode: reply.statusCode,
      },
      'admin API change',
    );
  });

  /**
   * No escalation through the API: a client that may call this admin API (audience
   * m2m-auth-admin) can be created, changed, given a new secret or revoked only by a caller whose
   * token holds every admin scope that client has or gets. Otherwise `clients:write` alone would
   * mint (or take over) a client with `keys:write`.
   */
  const refuseEscalation = (
    request: FastifyRequest,
    target: { audiences: readonly string[]; scopes: readonly string[] } | undefined,
  ): void => {
    if (target === undefined || !target.audiences.includes(ADMIN_AUDIENCE)) return;
    const held = callers.get(request)?.scopes ?? [];
    const missing = target.scopes.filter(
      (scope) => (ADMIN_SCOPES as readonly string[]).includes(scope) && !held.includes(scope),
    );
    if (missing.length > 0) {
      throw new AdminApiError('ERR_ADMIN_SCOPE_INSUFFICIENT', {
        cause: `the target is an admin client with ${missing.join(', ')}, which the caller's token lacks`,
      });
    }
  };
  /** The client as stored, for the escalation check (undefined: the operation says not found). */
  const existing = (idOrName: string) => store.clients.find(idOrName);

  const authorize =
    (scope: AdminScope) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const header = request.headers.authorization;
      const match =
        typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header) : null;
      if (match?.[1] === undefined) {
        reply.header('www-authenticate', `Bearer realm="${REALM}"`);
        throw new AdminApiError('ERR_ADMIN_TOKEN_MISSING');
      }
      const fresh = context.cache.ensureFresh();
      if (fresh !== undefined) await fresh;
      const nowSec = Math.floor(Date.now() / 1000);
      let scopes: string[];
      let callerId = '';
      try {
        const jwks = createLocalJWKSet(await context.cache.jwks(nowSec));
        const { payload } = await jwtVerify(match[1], jwks, {
          issuer: context.issuer,
          audience: ADMIN_AUDIENCE,
          typ: 'at+jwt',
          algorithms: SIGNING_ALGS as SigningAlg[],
          requiredClaims: ['exp', 'client_id'],
        });
        const clientId = payload['client_id'];
        const client =
          typeof clientId === 'string' ? await context.cache.findClient(clientId) : undefined;
        // Tokens outlive a revocation; the admin API does not honour them past it.
        if (client === undefined || client.client.revokedAt !== null) {
          throw new Error('client unknown or revoked');
        }
        callerId = client.client.clientId;
        scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
      } catch (err) {
        if (err instanceof AdminApiError) throw err;
        const { code } = err as { code?: unknown };
        if (code === 'ERR_STORE_UNAVAILABLE') throw err;
        reply.header('www-authenticate', `Bearer realm="${REALM}", error="invalid_token"`);
        throw new AdminApiError('ERR_ADMIN_TOKEN_INVALID', { cause: err });
      }
      callers.set(request, { clientId: callerId, scopes });
      if (!scopes.includes(scope)) {
        reply.header(
          'www-authenticate',
          `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`,
        );
        throw new AdminApiError('ERR_ADMIN_SCOPE_INSUFFICIENT');
      }
    };

  const base = ADMIN_API_BASE;
  const bodySchema = (name: keyof typeof ADMIN_SCHEMAS) => ({ body: ADMIN_SCHEMAS[name] });
  /** A body the OpenAPI document marks optional: none is the same as `{}`. */
  const optionalBody = async (request: FastifyRequest): Promise<void> => {
    if (request.body === undefined || request.body === null) request.body = {};
  };
  type ClientParams = { Params: { client: string } };

  app.get(`${base}/clients`, { onRequest: authorize('clients:read') }, async () => ({
    clients: (await listClients(store)).json,
  }));
  app.post<{
    Body: { name: string; scopes?: string[]; audiences?: string[]; token_ttl_sec?: number };
  }>(
    `${base}/clients`,
    { onRequest: authorize('clients:write'), schema: bodySchema('ClientCreate') },
    async (request, reply) => {
      const { name, scopes, audiences, token_ttl_sec } = request.body;
      refuseEscalation(request, { audiences: audiences ?? [], scopes: scopes ?? [] });
      const created = await createClient(store, {
        name,
        ...(scopes === undefined ? {} : { scopes }),
        ...(audiences === undefined ? {} : { audiences }),
        ...(token_ttl_sec === undefined ? {} : { tokenTtlSec: token_ttl_sec }),
      });
      return reply.code(201).send(created.json);
    },
  );
  app.get<ClientParams>(
    `${base}/clients/:client`,
    { onRequest: authorize('clients:read') },
    async (request) => (await showClient(store, request.params.client)).json,
  );
  app.patch<
    ClientParams & { Body: { scopes?: string[]; audiences?: string[]; token_ttl_sec?: number } }
  >(
    `${base}/clients/:client`,
    { onRequest: authorize('clients:write'), schema: bodySchema('ClientUpdate') },
    async (request) => {
      const { scopes, audiences, token_ttl_sec } = request.body;
      const before = await existing(request.params.client);
      refuseEscalation(request, before);
      if (before !== undefined) {
        refuseEscalation(request, {
          audiences: audiences ?? before.audiences,
          scopes: scopes ?? before.scopes,
        });
      }
      return (
        await updateClient(store, request.params.client, {
          ...(scopes === undefined ? {} : { scopes }),
          ...(audiences === undefined ? {} : { audiences }),
          ...(token_ttl_sec === undefined ? {} : { tokenTtlSec: token_ttl_sec }),
        })
      ).json;
    },
  );
  app.post<ClientParams & { Body: { grace_sec?: number } | undefined }>(
    `${base}/clients/:client/rotate-secret`,
    {
      onRequest: authorize('clients:write'),
      preValidation: optionalBody,
      schema: bodySchema('SecretRotation'),
    },
    async (request) => {
      refuseEscalation(request, await existing(request.params.client));
      return (await rotateClientSecret(store, request.params.client, request.body?.grace_sec ?? 0))
        .json;
    },
  );
  app.post<ClientParams>(
    `${base}/clients/:client/revoke`,
    { onRequest: authorize('clients:write') },
    async (request) => {
      refuseEscalation(request, await existing(request.params.client));
      return (await revokeClient(store, request.params.client)).json;
    },
  );
  app.get(`${base}/keys`, { onRequest: authorize('keys:read') }, async () => ({
    keys: (await listKeys(store)).json,
  }));
  app.post<{
    Body: { alg?: SigningAlg; propagation_sec?: number; immediately?: boolean } | undefined;
  }>(
    `${base}/keys/rotate`,
    {
      onRequest: authorize('keys:write'),
      preValidation: optionalBody,
      schema: bodySchema('KeyRotation'),
    },
    async (request) => {
      const { alg, propagation_sec, immediately } = request.body ?? {};
      return (
        await rotateKeys(store, {
          ...(alg === undefined ? {} : { alg }),
          ...(propagation_sec === undefined ? {} : { propagationSec: propagation_sec }),
          immediately: immediately === true,
        })
      ).json;
    },
  );
  app.post<{ Params: { kid: string } }>(
    `${base}/keys/:kid/revoke`,
    { onRequest: authorize('keys:write') },
    async (request) => (await revokeKey(store, request.params.kid)).json,
  );
  app.get<{ Querystring: Record<string, string | string[] | undefined> }>(
    `${base}/audit`,
    { onRequest: authorize('audit:read') },
    async (request) => {
      const query = parseAuditQuery(request.query);
      return {
        events: (
          await readAudit(store, {
            ...(query.client === undefined ? {} : { client: query.client }),
            ...(query.sinceSec === undefined
              ? {}
              : { sinceMs: Date.now() - query.sinceSec * 1000 }),
            ...(query.limit === undefined ? {} : { limit: query.limit }),
            ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
          })
        ).json,
      };
    },
  );
  type PeriodQuery = { Querystring: Record<string, string | string[] | undefined> };
  app.get<PeriodQuery>(
    `${base}/audit/graph`,
    { onRequest: authorize('audit:read') },
    async (request) =>
      (await readServiceGraph(store, parsePeriod(request.query, GRAPH_DEFAULT_SINCE_SEC))).json,
  );
  app.get<PeriodQuery>(
    `${base}/audit/unused`,
    { onRequest: authorize('audit:read') },
    async (request) =>
      (await readUnusedGrants(store, parsePeriod(request.query, UNUSED_DEFAULT_SINCE_SEC))).json,
  );
}

/** The `since_sec` query of the reports (the only parameter they take), or the default. */
function parsePeriod(
  query: Record<string, string | string[] | undefined>,
  defaultSec: number,
): number {
  const { sinceSec, ...rest } = parseAuditQuery(query);
  const other = Object.keys(rest)[0];
  if (other !== undefined) {
    throw new AdminApiError('ERR_ADMIN_REQUEST_INVALID', {
      description: `unknown query parameter ${other}`,
    });
  }
  return sinceSec ?? defaultSec;
}

/** The audit query, strictly: known names once each, whole numbers where numbers are due. */
function parseAuditQuery(query: Record<string, string | string[] | undefined>): {
  client?: string;
  sinceSec?: number;
  limit?: number;
  outcome?: 'issued' | 'refused';
} {
  const result: {
    client?: string;
    sinceSec?: number;
    limit?: number;
    outcome?: 'issued' | 'refused';
  } = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') {
      throw new AdminApiError('ERR_ADMIN_REQUEST_INVALID', {
        description: `query parameter ${name} must be given once`,
      });
    }
    if (name === 'client' && value !== '') result.client = value;
    else if (name === 'outcome') {
      if (value !== 'issued' && value !== 'refused') {
        throw new AdminApiError('ERR_ADMIN_REQUEST_INVALID', {
          description: 'query parameter outcome must be issued or refused',
        });
      }
      result.outcome = value;
    } else if (name === 'since_sec' || name === 'limit') {
      const max = name === 'limit' ? 10_000 : 10 ** 9;
      if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > max) {
        throw new AdminApiError('ERR_ADMIN_REQUEST_INVALID', {
          description: `query parameter ${name} must be a whole number from 1 to ${max}`,
        });
      }
      if (name === 'limit') result.limit = Number(value);
      else result.sinceSec = Number(value);
    } else {
      throw new AdminApiError('ERR_ADMIN_REQUEST_INVALID', {
        description: `unknown query parameter ${JSON.stringify(name).slice(0, 80)}`,
      });
    }
  }
  return result;
}
