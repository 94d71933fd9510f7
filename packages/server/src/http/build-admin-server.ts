import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { AuthServerError } from '../errors/auth-server-error.js';
import { handleClientError } from './internal/handle-client-error.js';
import { SECURITY_HEADERS } from './internal/security-headers.js';
import { sendAuthServerError } from './internal/send-auth-server-error.js';
import type { ServerContext } from './internal/server-context.js';
import { toAuthServerError } from './internal/to-auth-server-error.js';
import { registerProbeRoutes } from './routes/probe-routes.js';

/** Options of {@link createAdminApp}. */
export interface AdminAppOptions {
  /** The public app's logger, so both listeners write one log. */
  logger: FastifyBaseLogger;
  /** Time allowed to receive a whole request, milliseconds. */
  requestTimeoutMs: number;
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
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  app.setErrorHandler((err, request, reply) =>
    sendAuthServerError(request, reply, toAuthServerError(err), context.realm),
  );
  app.setNotFoundHandler((request, reply) =>
    sendAuthServerError(request, reply, new AuthServerError('ERR_NOT_FOUND'), context.realm),
  );
  registerProbeRoutes(app, context);
  const { metrics } = context;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  }
  return app;
}
