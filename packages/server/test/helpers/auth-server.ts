/**
 * A real authorization server for HTTP tests: a SQLite file in a temporary folder, served by
 * `startServer` on 127.0.0.1 port 0, plus a second store on the same file that plays the CLI (a
 * separate connection, as `m2m-auth client revoke` would be).
 */
import { connect } from 'node:net';
import {
  type RunningServer,
  type StartServerOptions,
  type Store,
  startServer,
} from '@m2m-auth/server';
import type { NewClient } from '@m2m-auth/server/clients';
import type { TestDatabase } from './test-database.js';
import { openTestStores } from './test-stores.js';

export interface TestAuthServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `${url}/oauth/token`. */
  tokenUrl: string;
  issuer: string;
  server: RunningServer;
  /** The store the server uses. */
  store: Store;
  /** Another connection to the same database, standing in for the CLI or another instance. */
  cli: Store;
  database: TestDatabase;
  /** Registers a client through the "CLI" store. */
  createClient(input: NewClient): Promise<{ clientId: string; clientSecret: string }>;
  close(): Promise<void>;
}

export async function startTestAuthServer(
  options: Omit<StartServerOptions, 'store' | 'databaseUrl' | 'port' | 'host'> = {},
): Promise<TestAuthServer> {
  const stores = await openTestStores('sqlite');
  const { database, store, cli } = stores;
  const server = await startServer({ ...options, store, port: 0, host: '127.0.0.1' });
  return {
    url: server.url,
    tokenUrl: `${server.url}/oauth/token`,
    issuer: server.issuer,
    server,
    store,
    cli,
    database,
    async createClient(input) {
      const { client, clientSecret } = await cli.clients.create(input);
      return { clientId: client.clientId, clientSecret };
    },
    async close() {
      await server.close();
      await stores.close();
    },
  };
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** `Authorization: Basic` per RFC 6749 §2.3.1: id and secret form-encoded, then base64. */
export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
}

/** POSTs a form body (pairs, so tests can repeat a parameter). */
export function postForm(
  url: string,
  params: Record<string, string> | [string, string][],
  headers: Record<string, string> = {},
): Promise<Response> {
  const pairs = Array.isArray(params) ? params : Object.entries(params);
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: pairs.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&'),
  });
}

/**
 * The plain token request of a registered client: POST `${baseUrl}/oauth/token` with
 * `grant_type=client_credentials` and client_secret_basic (RFC 6749 §4.4.2, §2.3.1).
 */
export function requestClientCredentials(
  baseUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<Response> {
  return fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(clientId, clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
}

/** POSTs a JSON body. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Decodes a JWT's header and payload without verifying (assertions on shape only). */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')),
  };
}

/** Status, headers and JSON body of a response, for one-line assertions. */
export async function readResponse(
  response: Response,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(
      `not JSON (${response.status} ${response.headers.get('content-type')}): ${text}`,
    );
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * Writes raw bytes to the server at `baseUrl` on a new connection and resolves to everything it
 * sends back before closing (for input that is not well-formed HTTP).
 *
 * @param keepOpen - leave our side open after writing (default true) rather than ending it.
 */
export function exchangeRaw(
  baseUrl: string,
  parts: readonly (string | Buffer)[],
  keepOpen = true,
): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      for (const part of parts) socket.write(part);
      if (!keepOpen) socket.end();
    });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}
