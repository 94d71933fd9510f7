import { readBoundedBody } from './read-bounded-body.js';

/** Largest JWKS response body read, bytes: a JWK Set of a few keys is a few kilobytes. */
export const MAX_JWKS_BYTES = 256 * 1024;

/** A fetched JWK Set document. */
export interface FetchedJwks {
  /** The response body, for change detection. */
  readonly text: string;
  /** The parsed body (not yet validated beyond being JSON). */
  readonly body: unknown;
  /** `Cache-Control: max-age` of the response, seconds; `0` for `no-cache`/`no-store`. */
  readonly maxAgeSec: number | undefined;
}

/**
 * GETs a JWK Set (RFC 7517 §5) once. Redirects are not followed (`redirect: 'manual'`): a JWKS
 * location that moved must be reconfigured, not chased wherever a response points. The whole
 * exchange, body included, is bounded by `timeoutMs` and the body by {@link MAX_JWKS_BYTES}.
 *
 * @param url - the JWKS URL.
 * @param timeoutMs - milliseconds for the whole request.
 * @throws Error with a one-line reason (status, redirect, timeout, size, JSON) for the log.
 */
export async function fetchJwks(url: URL, timeoutMs: number): Promise<FetchedJwks> {
  const response = await fetch(url, {
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/jwk-set+json, application/json' },
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    const reason =
      response.status >= 300 && response.status < 400
        ? `redirect (HTTP ${response.status}) not followed`
        : `HTTP ${response.status}`;
    throw new Error(`JWKS responded with ${reason}`);
  }
  const text = await readBoundedBody(response, MAX_JWKS_BYTES, 'JWKS response');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new Error('JWKS response is not JSON', { cause });
  }
  return { text, body, maxAgeSec: parseMaxAge(response.headers.get('cache-control')) };
}

/**
 * The freshness lifetime a response allows (RFC 9111 §5.2.2): `max-age` seconds, or 0 when the
 * response must not be reused without revalidation (`no-cache`, `no-store`).
 */
export function parseMaxAge(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  if (/(?:^|,)\s*no-(?:cache|store)\s*(?:,|$|=)/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl);
  return match ? Number(match[1]) : undefined;
}
