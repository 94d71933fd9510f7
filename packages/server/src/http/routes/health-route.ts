import type { FastifyInstance } from 'fastify';
import { AuthServerError } from '../../errors/auth-server-error.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the health check. */
export const HEALTH_PATH = '/healthz';

/** Why `/healthz` says the instance cannot serve. */
export type HealthProblem = 'database' | 'no_signing_key' | 'signing_key_unusable';

/**
 * Why `/healthz` says the instance serves but needs an operator: a `next` key was due and this
 * instance refused to activate it because it cannot decrypt it (wrong or missing `M2M_AUTH_KEK`
 * when the key was written); the current key keeps signing.
 */
export type HealthWarning = 'next_signing_key_unusable';

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
      const reason = await findProblem(context, request.log);
      if (reason === undefined) {
        const refused = context.cache.refusedActivations();
        if (refused.length === 0) return { status: 'ok' };
        const warning: HealthWarning = 'next_signing_key_unusable';
        return { status: 'degraded', reason: warning, kids: refused.map((r) => r.kid) };
      }
      return reply.code(503).send({ status: 'unavailable', reason });
    });
  }
}

async function findProblem(
  context: ServerContext,
  log: { error(obj: object, msg: string): void },
): Promise<HealthProblem | undefined> {
  try {
    // A real query whatever the revision interval: the point is to know the database answers.
    await context.cache.refresh();
  } catch (err) {
    log.error({ err }, 'health check: database unreachable');
    return 'database';
  }
  try {
    const key = await context.cache.signingKey(Math.floor(Date.now() / 1000));
    return key === undefined ? 'no_signing_key' : undefined;
  } catch (err) {
    // The database can fail between the two steps (reloading the keys is a query too): that is
    // still an outage, not a key that cannot be used.
    if (err instanceof AuthServerError && err.code === 'ERR_STORE_UNAVAILABLE') {
      log.error({ err }, 'health check: database unreachable');
      return 'database';
    }
    log.error({ err }, 'health check: active signing key unusable');
    return 'signing_key_unusable';
  }
}
