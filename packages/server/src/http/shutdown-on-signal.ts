import type { RunningServer } from './start-server.js';

/** Options of {@link shutdownOnSignal}, milliseconds. */
export interface ShutdownOptions {
  /** How long in-flight requests may take before open connections are closed. */
  shutdownTimeoutMs: number;
  /** How long `/readyz` answers 503 "draining" before the public listener stops accepting. */
  drainDelayMs: number;
  /** Stops background work that uses the store (scheduled rotation) before it closes. */
  beforeClose?: () => Promise<void> | undefined;
}

/**
 * Resolves after SIGINT or SIGTERM has closed the server: readiness turns to "draining", after
 * `drainDelayMs` in-flight requests get `shutdownTimeoutMs` to finish, background work stops, then
 * the listeners and the store close. A second signal kills the process (Node's default).
 */
export function shutdownOnSignal(server: RunningServer, options: ShutdownOptions): Promise<void> {
  const { shutdownTimeoutMs, drainDelayMs, beforeClose = () => undefined } = options;
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      // Once removed, a second signal gets Node's default behaviour: immediate termination.
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Not ready from now on, so load balancers stop sending before the listener closes.
      server.drain();
      server.app.log.info({ signal, drainDelayMs }, 'shutting down: draining');
      let force: NodeJS.Timeout | undefined;
      new Promise((wait) => setTimeout(wait, drainDelayMs))
        .then(() => {
          server.app.log.info('shutting down: finishing in-flight requests');
          force = setTimeout(() => {
            server.app.log.warn(
              { shutdownTimeoutMs },
              'shutdown timeout: closing open connections',
            );
            server.app.server.closeAllConnections();
            server.adminApp?.server.closeAllConnections();
          }, shutdownTimeoutMs);
          force.unref();
          return beforeClose();
        })
        .then(() => server.close())
        .catch((err: unknown) => server.app.log.error({ err }, 'error while shutting down'))
        .finally(() => {
          clearTimeout(force);
          resolve();
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
