import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AuthServerError, type AuthServerErrorCode } from '../../errors/auth-server-error.js';
import { SECURITY_HEADER_LINES } from './security-headers.js';

/**
 * Answers HTTP-level failures (unparseable request line or headers, oversized headers, timeouts)
 * that happen before Fastify has a request, with the same RFC 6749 §5.2 JSON as every other error
 * instead of Fastify's own body, then closes the connection.
 */
export function handleClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let code: AuthServerErrorCode = 'ERR_REQUEST_HTTP_MALFORMED';
  if (err.code === 'HPE_HEADER_OVERFLOW') code = 'ERR_REQUEST_HEADERS_TOO_LARGE';
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') code = 'ERR_REQUEST_TIMEOUT';
  const error = new AuthServerError(code, { cause: err });
  if (socket.writable) {
    const body = JSON.stringify(error.toJSON());
    socket.write(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nConnection: close\r\n' +
        SECURITY_HEADER_LINES +
        '\r\n' +
        body,
    );
  }
  socket.destroy(err);
}
