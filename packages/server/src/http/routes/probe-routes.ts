import type { FastifyInstance } from 'fastify';
import { findReadinessProblem, findReadinessWarning } from '../internal/check-readiness.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the liveness probe (admin listener). */
export const LIVENESS_PATH = '/livez';
/** Path of the readiness probe (admin listener). */
export const READINESS_PATH = '/readyz';

/**
 * Registers the probes of the admin listener:
 * - `GET /livez`: 200 `{status: "ok"}` while the process serves HTTP at all (restart it otherwise);
 *   it queries nothing, so a database outage never gets an instance restarted.
 * - `GET /readyz`: 200 `{status: "ok"}` when the database answers, an active signing key is
 *   loaded and usable and the instance's view of the store is not stale; otherwise 503
 *   `{status: "unavailable", reason}` with a `ReadinessProblem` (`draining` from SIGTERM on, before
 *   the public listener stops accepting), so the instance leaves the load balancer's rotation.
 *   An instance that serves but refused to activate a due key it cannot decrypt stays ready:
 *   200 `{status: "degraded", reason: "next_signing_key_unusable", kids}`, as `/healthz` says.
 */
export function registerProbeRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get(LIVENESS_PATH, async () => ({ status: 'ok' }));
  app.get(READINESS_PATH, async (request, reply) => {
    const reason = context.draining ? 'draining' : await findReadinessProblem(context, request.log);
    if (reason === undefined) {
      const warning = findReadinessWarning(context);
      return warning === undefined ? { status: 'ok' } : { status: 'degraded', ...warning };
    }
    return reply.code(503).send({ status: 'unavailable', reason });
  });
}
