import { createHash } from 'node:crypto';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { type AuditEvent, auditEventToJson } from '../../audit/audit-event.js';
import type { AuditWriter } from '../../audit/audit-writer.js';
import type { AuthServerError } from '../../errors/auth-server-error.js';
import type {
  ClientCredentialsGrantResult,
  TokenRequestFacts,
} from '../../grants/client-credentials-grant.js';

/** Records the audit event of every token request: an info log line, and the table if enabled. */
export interface TokenAudit {
  issued(request: FastifyRequest, result: ClientCredentialsGrantResult): void;
  refused(
    request: FastifyRequest,
    err: AuthServerError,
    facts: TokenRequestFacts | undefined,
  ): void;
  /**
   * Records the event of an introspection or revocation request (RFC 7662, RFC 7009): who asked
   * and the outcome; the token only as its `jti` or a digest prefix, never itself.
   */
  endpoint(
    request: FastifyRequest,
    event: Omit<AuditEvent, 'timeMs' | 'sourceAddress'>,
    msg: string,
  ): void;
}

/** Client identifiers are UUIDs (clients/kysely-client-store.ts); anything else may be a secret. */
const CLIENT_ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Longest requested audience or scope-token recorded; longer values are cut. */
const MAX_FIELD_LENGTH = 256;
/** Most requested scopes recorded. */
const MAX_SCOPES = 32;

/**
 * @param logEnabled - whether the server was given a logger (no event is built otherwise, unless
 *   `writer` is set).
 * @param writer - the audit table writer (`--audit-store`), if any.
 */
export function createTokenAudit(logEnabled: boolean, writer: AuditWriter | undefined): TokenAudit {
  const record = (log: FastifyBaseLogger, event: AuditEvent, msg: string): void => {
    writer?.append(event);
    // pino's isLevelEnabled; the no-op logger Fastify uses without logging has none.
    const { isLevelEnabled } = log as { isLevelEnabled?: (level: string) => boolean };
    if (logEnabled && isLevelEnabled?.call(log, 'info') !== false) {
      log.info({ audit: auditEventToJson(event) }, msg);
    }
  };
  const wanted = logEnabled || writer !== undefined;
  return {
    issued(request, result) {
      if (!wanted) return;
      record(
        request.log,
        {
          timeMs: Date.now(),
          outcome: 'issued',
          clientId: result.client.clientId,
          audience: result.audience,
          scopes: result.token.scope === '' ? [] : result.token.scope.split(' '),
          jti: result.token.jti,
          sourceAddress: request.ip ?? null,
          reason: null,
          detail: null,
          status: 200,
        },
        'token issued',
      );
    },
    refused(request, err, facts) {
      if (!wanted) return;
      record(
        request.log,
        {
          timeMs: Date.now(),
          outcome: 'refused',
          clientId: facts?.clientId === undefined ? null : auditClientId(facts.clientId),
          audience:
            facts?.requestedAudience === undefined ? null : truncate(facts.requestedAudience),
          scopes:
            facts?.requestedScope === undefined ? null : requestedScopes(facts.requestedScope),
          jti: null,
          sourceAddress: request.ip ?? null,
          reason: err.code,
          detail: describeCause(err.cause),
          status: err.status,
        },
        'token request refused',
      );
    },
    endpoint(request, event, msg) {
      if (!wanted) return;
      record(request.log, { timeMs: Date.now(), sourceAddress: request.ip ?? null, ...event }, msg);
    },
  };
}

/**
 * A presented client_id as recorded: as it is when shaped like a client_id, else a digest prefix —
 * a caller that mixed up its settings may have sent its secret there.
 */
export function auditClientId(presented: string): string {
  if (CLIENT_ID_SHAPE.test(presented)) return presented;
  return `sha256:${createHash('sha256').update(presented, 'utf8').digest('hex').slice(0, 16)}`;
}

function requestedScopes(scope: string): string[] {
  return scope
    .split(' ')
    .filter((item) => item !== '')
    .slice(0, MAX_SCOPES)
    .map(truncate);
}

function truncate(value: string): string {
  return value.length <= MAX_FIELD_LENGTH ? value : `${value.slice(0, MAX_FIELD_LENGTH)}…`;
}

/**
 * The private detail of a refusal: our own fixed strings as they are (cut to size); for errors only
 * their code or name — never a message, which may quote input.
 */
export function describeCause(cause: unknown): string | null {
  if (cause === undefined || cause === null) return null;
  if (typeof cause === 'string') return truncate(cause);
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return cause instanceof Error ? cause.name : null;
}
