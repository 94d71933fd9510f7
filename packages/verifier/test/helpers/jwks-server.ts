/**
 * A real JWKS HTTP server on 127.0.0.1 (port 0) whose answers the test controls: the key set,
 * Cache-Control, outages (503, hang, connection refused) and redirects. Counts requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

export type JwksServerMode = 'ok' | 'error' | 'hang' | 'redirect' | 'garbage';

export interface JwksServer {
  readonly url: string;
  /** Requests received so far. */
  hits: number;
  keys: JWK[];
  mode: JwksServerMode;
  /** `Cache-Control` sent with the key set; `undefined` for none. */
  cacheControl: string | undefined;
  /** Milliseconds to wait before answering. */
  delayMs: number;
  /** Stops listening: connections are refused until {@link JwksServer.start}. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  const hanging = new Set<import('node:http').ServerResponse>();
  const state: JwksServer = {
    url: '',
    hits: 0,
    keys,
    mode: 'ok',
    cacheControl: undefined,
    delayMs: 0,
    stop,
    start,
    close,
  };
  let server: Server = makeServer();
  let port = 0;

  function makeServer(): Server {
    return createServer((req, res) => {
      state.hits++;
      const answer = (): void => {
        if (req.url !== '/.well-known/jwks.json') {
          res.writeHead(404).end();
          return;
        }
        switch (state.mode) {
          case 'error':
            res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
            return;
          case 'hang':
            hanging.add(res);
            return;
          case 'redirect':
            res.writeHead(302, { location: '/elsewhere/jwks.json' }).end();
            return;
          case 'garbage':
            res.writeHead(200, { 'content-type': 'application/json' }).end('{not json');
            return;
          default: {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (state.cacheControl !== undefined) headers['cache-control'] = state.cacheControl;
            res.writeHead(200, headers).end(JSON.stringify({ keys: state.keys }));
          }
        }
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    });
  }

  async function listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    (state as { url: string }).url = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }

  async function stop(): Promise<void> {
    for (const res of hanging) res.destroy();
    hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async function start(): Promise<void> {
    server = makeServer();
    await listen();
  }

  async function close(): Promise<void> {
    if (server.listening) await stop();
  }

  await listen();
  return state;
}
