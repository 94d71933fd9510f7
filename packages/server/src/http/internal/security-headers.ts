/**
 * Headers sent on every response (the JSON API is never meant to be rendered, framed, sniffed or
 * embedded by a browser): OWASP HTTP Headers Cheat Sheet, for an API that serves only JSON.
 * No CORS header is ever sent: callers are services, not browser pages, so a page on another
 * origin cannot read any answer. No `Server` or `X-Powered-By` banner (Fastify and Node send none).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
});

/** HSTS (RFC 6797), sent when the issuer is an https URL (TLS terminated in front of us). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

/** The security headers as raw HTTP/1.1 header lines, for answers written on the socket. */
export const SECURITY_HEADER_LINES = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');
