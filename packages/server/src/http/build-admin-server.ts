import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { AdminApiError } from '../admin/admin-api-error.js';
import type { Store } from '../app/store.js';
import { AuthServerError } from '../errors/auth-server-error.js';
import { handleClientError } from './internal/handle-client-error.js';
import { SECURITY_HEADERS } from './internal/security-headers.js';
import { sendAuthServerError } from './internal/send-auth-server-error.js';
import type { ServerContext } from './internal/server-context.js';
import { toAuthServerError } from './internal/to-auth-server-error.js';
import { registerAdminApiRoutes } from './routes/admin-api-routes.js';
import { registerConsoleRoutes } from './routes/console-routes.js';
import { registerProbeRoutes } from './routes/probe-routes.js';

/** Options of {@link createAdminApp}. */
export interface AdminAppOptions {
  /** The public app's logger, so both listeners write one log. */
  logger: FastifyBaseLogger;
  /** Time allowed to receive a whole request, milliseconds. */
  requestTimeoutMs: number;
  /** The store the admin API operates on. */
  store: Store;
}

/**
 * Builds the admin listener's app (`serve --admin-port`): probes (`/livez`, `/readyz`), Prometheus
 * metrics (`GET /metrics`, when the server has them) and the admin API. It shares the public app's view of the store
 * and never serves the OAuth endpoints; the public app never serves what is here.
 */
export function createAdminApp(context: ServerContext, options: AdminAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler: handleClientError,
    return503OnClosing: true,
    bodyLimit: 64 * 1024,
    requestTimeout: options.requestTimeoutMs,
    http: { requestTimeout: options.requestTimeoutMs, headersTimeout: options.requestTimeoutMs },
    // Unknown members are errors, not silently dropped; a string is not a number.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  app.setErrorHandler((err, request, reply) => {
    const adminError =
      err instanceof AdminApiError
        ? err
        : (err as { validation?: unknown }).validation !== undefined
          ? new AdminApiError('ERR_ADMIN_REQUEST_INVALID', {
              // Ajv's message names the member and the rule, e.g. "body must NOT have additional properties".
              description: (err as Error).message,
              cause: err,
            })
          : AdminApiError.fromStoreError(err);
    if (adminError !== undefined) {
      request.log.debug({ code: adminError.wireCode }, 'admin request refused');
      return reply
        .code(adminError.status)
        .type('application/json; charset=utf-8')
        .send(adminError.toJSON());
    }
    return sendWithCode(request, reply, toAuthServerError(err));
  });
  app.setNotFoundHandler((request, reply) =>
    sendWithCode(request, reply, new AuthServerError('ERR_NOT_FOUND')),
  );
  /** The admin listener's answers carry `code` too (the OpenAPI Error schema). */
  const sendWithCode = (request: FastifyRequest, reply: FastifyReply, error: AuthServerError) => {
    reply.serializer((payload: unknown) =>
      JSON.stringify({ ...(payload as object), code: error.code }),
    );
    return sendAuthServerError(request, reply, error, context.realm);
  };
  registerProbeRoutes(app, context);
  registerAdminApiRoutes(app, context, options.store);
  registerConsoleRoutes(app, context);
  const { metrics } = context;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  }
  return app;
}
