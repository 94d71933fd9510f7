import type { FastifyInstance } from 'fastify';
import {
  findReadinessProblem,
  findReadinessWarning,
  type ReadinessWarning,
} from '../internal/check-readiness.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the health check. */
export const HEALTH_PATH = '/healthz';

/** Why `/healthz` says the instance cannot serve. */
export type HealthProblem = 'database' | 'no_signing_key' | 'signing_key_unusable' | 'stale';

/**
 * Why `/healthz` says the instance serves but needs an operator: a `next` key was due and this
 * instance refused to activate it because it cannot decrypt it (wrong or missing `M2M_AUTH_KEK`
 * when the key was written); the current key keeps signing.
 */
export type HealthWarning = ReadinessWarning;

/**
 * Registers `GET /healthz`: 200 `{status: "ok"}` when the database answers and an active signing
 * key is usable; otherwise 503 `{status: "unavailable", reason}` (a {@link HealthProblem}), so a
 * load balancer takes the instance out of rotation. An instance that signs but refused to activate
 * a due key answers 200 `{status: "degraded", reason: "next_signing_key_unusable", kids}` (a
 * {@link HealthWarning}): it must stay in rotation, and monitoring must see it.
 */
export function registerHealthRoute(app: FastifyInstance, context: ServerContext): void {
  // At the root too: a load balancer or orchestrator probes the instance, not the issuer.
  const paths =
    context.basePath === '' ? [HEALTH_PATH] : [HEALTH_PATH, context.basePath + HEALTH_PATH];
  for (const path of paths) {
    app.get(path, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const reason = await findReadinessProblem(context, request.log);
      if (reason === undefined) {
        const warning = findReadinessWarning(context);
        return warning === undefined ? { status: 'ok' } : { status: 'degraded', ...warning };
      }
      return reply.code(503).send({ status: 'unavailable', reason });
    });
  }
}
