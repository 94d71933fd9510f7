/**
 * A tiny HTTP resource server on 127.0.0.1 for tests of `client.fetch` mechanics (headers, bodies,
 * retry rules). The end-to-end test uses a real resource server with @m2m-auth/verifier instead.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface ResourceServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly calls: ReceivedCall[];
  /** Sets the answer to each call; by default 200 `{"ok":true}`. */
  answer(fn: (call: ReceivedCall) => { status: number; headers?: Record<string, string> }): void;
  close(): Promise<void>;
}

export async function startResourceServer(): Promise<ResourceServer> {
  const calls: ReceivedCall[] = [];
  let answerFn = (_call: ReceivedCall): { status: number; headers?: Record<string, string> } => ({
    status: 200,
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const call: ReceivedCall = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      const { status, headers } = answerFn(call);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ ok: status === 200 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    calls,
    answer(fn) {
      answerFn = fn;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
