/**
 * A real HTTP token endpoint on 127.0.0.1 for tests of the client's own timing and parsing logic
 * (retries, Retry-After, backoff, request format). Tests of the system use the real authorization
 * server instead (against-auth-service.test.ts).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A token request as the endpoint received it. */
export interface RecordedRequest {
  /** `Date.now()` on arrival (the fake clock when a test fakes Date). */
  readonly at: number;
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
}

/** What the endpoint answers. */
export interface Reply {
  status?: number;
  headers?: Record<string, string> | undefined;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export type ReplyFn = (request: RecordedRequest, index: number) => Reply;

export interface TokenEndpoint {
  /** `http://127.0.0.1:<port>/oauth/token`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the reply function. */
  reply(fn: ReplyFn): void;
  close(): Promise<void>;
}

/** Answers every request with a new token `token-<n>` valid for `expiresInSec`. */
export function issueTokens(expiresInSec = 300): ReplyFn {
  return (_request, index) => ({
    body: { access_token: `token-${index + 1}`, token_type: 'Bearer', expires_in: expiresInSec },
  });
}

/** Starts a token endpoint on 127.0.0.1, on `port` (default 0: any free port). */
export async function startTokenEndpoint(
  fn: ReplyFn = issueTokens(),
  port = 0,
): Promise<TokenEndpoint> {
  let replyFn = fn;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: RecordedRequest = {
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      };
      requests.push(request);
      const reply = replyFn(request, requests.length - 1);
      if (reply.hang) return;
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status ?? 200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...reply.headers,
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/oauth/token`,
    requests,
    reply(next) {
      replyFn = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
