import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../../audit/audit-event.js';
import type { TokenRequestFacts } from '../../grants/client-credentials-grant.js';
import type { ServerContext } from './server-context.js';
import { toAuthServerError } from './to-auth-server-error.js';
import { auditClientId, describeCause } from './token-audit.js';

/**
 * A token as an audit log may name it: `sha256:` and the first 16 hex digits of its digest. Enough
 * to match a caller's own record of a token, never enough to use it.
 */
export function tokenDigest(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * Audits a refused introspection or revocation request: the presented (or authenticated)
 * client_id as the token endpoint records it, the error code and status, the private cause.
 */
export function auditEndpointRefusal(
  context: Pick<ServerContext, 'audit'>,
  request: FastifyRequest,
  err: unknown,
  facts: TokenRequestFacts | undefined,
  outcome: Extract<AuditOutcome, 'introspection_refused' | 'revocation_refused'>,
): void {
  const error = toAuthServerError(err);
  context.audit.endpoint(
    request,
    {
      outcome,
      clientId: facts?.clientId === undefined ? null : auditClientId(facts.clientId),
      audience: null,
      scopes: null,
      jti: null,
      reason: error.code,
      detail: describeCause(error.cause),
      status: error.status,
    },
    outcome === 'introspection_refused'
      ? 'token introspection refused'
      : 'token revocation refused',
  );
}
