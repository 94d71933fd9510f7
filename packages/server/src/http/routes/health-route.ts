import type { FastifyInstance } from 'fastify';
import { findReadinessProblem } from '../internal/check-readiness.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the health check. */
export const HEALTH_PATH = '/healthz';

/** Why `/healthz` says the instance cannot serve. */
export type HealthProblem = 'database' | 'no_signing_key' | 'signing_key_unusable' | 'stale';

/**
 * Registers `GET /healthz`: 200 `{status: "ok"}` when the database answers and an active signing
 * key is usable; otherwise 503 `{status: "unavailable", reason}` (a {@link HealthProblem}), so a
 * load balancer takes the instance out of rotation.
 */
export function registerHealthRoute(app: FastifyInstance, context: ServerContext): void {
  app.get(HEALTH_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const reason = await findReadinessProblem(context, request.log);
    if (reason === undefined) return { status: 'ok' };
    return reply.code(503).send({ status: 'unavailable', reason });
  });
}
