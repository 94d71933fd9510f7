/**
 * `totalTimeoutMs` is a hard bound on getToken: against a real loopback server that accepts
 * connections and never answers, the call rejects with ERR_AUTH_SERVER_UNAVAILABLE — also when the
 * configured `fetch` ignores abort signals, so that no attempt can outlive the bound. No timing
 * threshold: a small totalTimeoutMs, and the test's own timeout as "it finishes".
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createTokenClient, TokenClientError } from '@m2m-auth/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/async.js';

let server: Server;
let sockets: Set<Socket>;
let url: string;

beforeEach(async () => {
  sockets = new Set();
  // Accepts connections, reads the request, never writes a byte.
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  url = `http://127.0.0.1:${address.port}/oauth/token`;
});

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('totalTimeoutMs against a server that never answers', () => {
  it('rejects with ERR_AUTH_SERVER_UNAVAILABLE', { timeout: 5_000 }, async () => {
    const auth = createTokenClient({
      tokenUrl: url,
      clientId: 'c',
      clientSecret: 's',
      totalTimeoutMs: 200,
      env: {},
    });
    const error = await rejection(auth.getToken(), TokenClientError);
    expect(error.code).toBe('ERR_AUTH_SERVER_UNAVAILABLE');
    expect(error.message).toContain('totalTimeoutMs 200');
  });

  it('rejects even when the fetch in use ignores aborts', { timeout: 5_000 }, async () => {
    const deafFetch: typeof fetch = (input, init) =>
      globalThis.fetch(input, { ...init, signal: null });
    const auth = createTokenClient({
      tokenUrl: url,
      clientId: 'c',
      clientSecret: 's',
      totalTimeoutMs: 200,
      requestTimeoutMs: 100,
      fetch: deafFetch,
      env: {},
    });
    const error = await rejection(auth.getToken(), TokenClientError);
    expect(error.code).toBe('ERR_AUTH_SERVER_UNAVAILABLE');
    expect(error.message).toMatch(/still had no answer when totalTimeoutMs ran out/);
    // A client.fetch waiting for that token is released the same way.
    const viaFetch = await rejection(
      auth.fetch('http://127.0.0.1:9/never-called'),
      TokenClientError,
    );
    expect(viaFetch.code).toBe('ERR_AUTH_SERVER_UNAVAILABLE');
  });
});
