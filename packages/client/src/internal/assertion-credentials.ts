import { readFile } from 'node:fs/promises';
import { TokenClientError } from '../errors.js';
import { signClientAssertion } from './client-assertion.js';
import { type AssertionSource, formEncode } from './resolve-options.js';

/** `client_assertion_type` of a JWT assertion (RFC 7523 §2.2). */
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Largest assertion file read, bytes (a projected service-account token is about 1 KiB). */
const MAX_ASSERTION_FILE_BYTES = 16 * 1024;

/** Discovered issuers, per client: the metadata is read once, and again only after a failure. */
const discovered = new WeakMap<AssertionSource, Promise<string>>();

/**
 * The body fields authenticating one token request with a client assertion (RFC 7521 §4.2):
 * `client_id`, `client_assertion_type` and a fresh `client_assertion` — signed now with the
 * private key, or read now from the assertion file (the platform rotates it on disk).
 *
 * @throws TokenClientError `ERR_CLIENT_ASSERTION_UNAVAILABLE` (file unreadable or empty, metadata
 *   without a usable issuer); network errors of the discovery as they are (the caller retries them).
 */
export async function assertionCredentials(
  source: AssertionSource,
  fetchImpl: typeof globalThis.fetch,
  signal: AbortSignal,
): Promise<string> {
  let assertion: string;
  if (source.kind === 'file') {
    assertion = await readAssertionFile(source.path);
  } else {
    const issuer = source.issuer ?? (await discoverIssuer(source, fetchImpl, signal));
    assertion = signClientAssertion(source.key, source.clientId, issuer);
  }
  return (
    `&client_id=${formEncode(source.clientId)}` +
    `&client_assertion_type=${formEncode(JWT_BEARER)}` +
    `&client_assertion=${formEncode(assertion)}`
  );
}

async function readAssertionFile(path: string): Promise<string> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_ASSERTION_FILE_BYTES) throw new Error('too large');
    text = bytes.toString('utf8').trim();
  } catch (cause) {
    throw new TokenClientError(
      'ERR_CLIENT_ASSERTION_UNAVAILABLE',
      `The client assertion file ${path} (assertionPath, OAUTH_CLIENT_ASSERTION_PATH) cannot be read`,
      { cause },
    );
  }
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) {
    throw new TokenClientError(
      'ERR_CLIENT_ASSERTION_UNAVAILABLE',
      `The client assertion file ${path} does not hold a JWT`,
    );
  }
  return text;
}

function discoverIssuer(
  source: Extract<AssertionSource, { kind: 'private_key_jwt' }>,
  fetchImpl: typeof globalThis.fetch,
  signal: AbortSignal,
): Promise<string> {
  let found = discovered.get(source);
  if (found === undefined) {
    found = readIssuer(source.metadataUrl, fetchImpl, signal);
    discovered.set(source, found);
    found.catch(() => discovered.delete(source));
  }
  return found;
}

async function readIssuer(
  metadataUrl: string,
  fetchImpl: typeof globalThis.fetch,
  signal: AbortSignal,
): Promise<string> {
  const response = await fetchImpl(metadataUrl, {
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal,
  });
  const text = await response.text();
  const unusable = (why: string) =>
    new TokenClientError(
      'ERR_CLIENT_ASSERTION_UNAVAILABLE',
      `Cannot learn the issuer (the aud of client assertions) from ${metadataUrl}: ${why}; set options.issuer`,
      { status: response.status },
    );
  if (response.status !== 200) throw unusable(`HTTP ${response.status}`);
  let issuer: unknown;
  try {
    issuer = (JSON.parse(text) as { issuer?: unknown } | null)?.issuer;
  } catch {
    throw unusable('not JSON');
  }
  if (typeof issuer !== 'string' || !/^https?:\/\//.test(issuer)) {
    throw unusable('no issuer in the metadata (RFC 8414 §2)');
  }
  return issuer;
}
