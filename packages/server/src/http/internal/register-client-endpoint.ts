import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../../audit/audit-event.js';
import { AuthServerError } from '../../errors/auth-server-error.js';
import type { AuthenticatedClient } from '../../grants/authenticate-client.js';
import type { TokenRequestFacts } from '../../grants/client-credentials-grant.js';
import { checkParameters } from '../../grants/internal/check-parameters.js';
import { readParam } from '../../grants/internal/read-param.js';
import { authenticateEndpointClient, createClientAuthentication } from './authenticate-client.js';
import { auditEndpointRefusal } from './endpoint-audit.js';
import type { ServerContext } from './server-context.js';

/** What a client-authenticated endpoint's handler is given once the caller has authenticated. */
export interface ClientEndpointCall {
  /** The authenticated, non-revoked client and how it authenticated. */
  readonly caller: AuthenticatedClient;
  /** The `token` parameter (RFC 7662 §2.1, RFC 7009 §2.1), or undefined when it was not sent. */
  readonly token: string | undefined;
}

/** One POST endpoint that a client calls about a token: introspection, revocation. */
export interface ClientEndpointDefinition {
  /** Path under the issuer's base path, e.g. `/oauth/introspect`. */
  path: string;
  /** The audit outcome of a refusal (any error, body parsing included). */
  refusedOutcome: Extract<AuditOutcome, 'introspection_refused' | 'revocation_refused'>;
  /** Answers an authenticated call; throws an AuthServerError to refuse it. */
  handle(call: ClientEndpointCall, request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/**
 * Registers a token endpoint's sibling that a client calls about a token (RFC 7662 §2.1,
 * RFC 7009 §2.1), with what both share: `no-store` answers, one value per parameter, the
 * `token` and ignored `token_type_hint` parameters (this server issues one kind of token), client
 * authentication exactly as at the token endpoint (same methods and failure limits), every refusal
 * audited with what was learned before it, and 405 for the other methods.
 */
export function registerClientEndpoint(
  app: FastifyInstance,
  context: ServerContext,
  definition: ClientEndpointDefinition,
): void {
  const authentication = createClientAuthentication(context, app.log);
  const facts = new WeakMap<object, TokenRequestFacts>();
  const path = context.basePath + definition.path;
  app.post(
    path,
    {
      onError: async (request, _reply, error) =>
        auditEndpointRefusal(
          context,
          request,
          error,
          facts.get(request),
          definition.refusedOutcome,
        ),
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const learned: TokenRequestFacts = {};
      facts.set(request, learned);
      const params = (request.body as Record<string, unknown> | undefined) ?? {};
      checkParameters(params);
      const token = readParam(params, 'token');
      readParam(params, 'token_type_hint');
      const caller = await authenticateEndpointClient(
        request,
        params,
        context,
        authentication,
        learned,
      );
      learned.clientId = caller.client.clientId;
      return definition.handle({ caller, token }, request, reply);
    },
  );
  registerPostOnly(app, path);
}

/** Answers other methods on a POST-only endpoint with 405 and `Allow: POST`. */
function registerPostOnly(app: FastifyInstance, path: string): void {
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: path,
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new AuthServerError('ERR_METHOD_NOT_ALLOWED');
    },
  });
}
