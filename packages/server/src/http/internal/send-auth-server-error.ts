import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthServerError } from '../../errors/auth-server-error.js';

/**
 * Sends an RFC 6749 §5.2 error body. A 401 carries `WWW-Authenticate: Basic` (RFC 6749 §5.2, RFC
 * 7235 §3.1), a 429 `Retry-After` (RFC 9110 §10.2.3); the cause goes to the log only: at error level for 5xx, debug level for refusals.
 */
export function sendAuthServerError(
  request: FastifyRequest,
  reply: FastifyReply,
  err: AuthServerError,
  realm: string,
): FastifyReply {
  if (err.status >= 500) {
    request.log.error({ code: err.code, err: err.cause ?? err }, 'request failed');
  } else {
    request.log.debug({ code: err.code, cause: describeCause(err.cause) }, 'request refused');
  }
  if (err.status === 401) reply.header('www-authenticate', `Basic realm="${realm}"`);
  if (err.retryAfterSec !== undefined) reply.header('retry-after', String(err.retryAfterSec));
  return reply.code(err.status).type('application/json; charset=utf-8').send(err.toJSON());
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
