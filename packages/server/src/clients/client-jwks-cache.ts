import type { JWK } from 'jose';

/** Options of {@link ClientJwksCache}. */
export interface ClientJwksCacheOptions {
  /**
   * Hosts a client `jwks_uri` may point at, as `host` or `host:port` (compared lower-case). A URL
   * on any other host is never fetched, so a client registration cannot make the server call an
   * internal address. Empty: no jwks_uri is fetched.
   */
  allowedHosts: readonly string[];
  /** Time allowed for one fetch, body included, milliseconds; default 3000. */
  timeoutMs?: number;
  /** Largest JWK Set read, bytes; default 65536. */
  maxBytes?: number;
  /** How long a fetched set is used before it is fetched again, seconds; default 300. */
  maxAgeSec?: number;
  /**
   * Shortest time between two fetches of one URL, seconds; default 30. An assertion naming an
   * unknown `kid` refetches at most this often, so garbage kids cannot make the server hammer it.
   */
  cooldownSec?: number;
}

interface Entry {
  keys: JWK[] | undefined;
  fetchedAtMs: number;
  pending: Promise<JWK[]> | undefined;
}

/** Most URLs kept; beyond it the cache starts over (one URL per jwks_uri client). */
const MAX_ENTRIES = 1_000;

/**
 * Fetches and caches the JWK Sets of `private_key_jwt` clients registered with a `jwks_uri`
 * (RFC 7591 §2): only from operator-allowed hosts, with a timeout, without following redirects, with
 * a size cap; refetched when stale or when an assertion names an unknown `kid`, at most once per
 * cooldown. A failed refetch keeps serving the keys fetched before.
 */
export class ClientJwksCache {
  readonly #allowed: ReadonlySet<string>;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: ClientJwksCacheOptions) {
    this.#allowed = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
    this.#timeoutMs = options.timeoutMs ?? 3_000;
    this.#maxBytes = options.maxBytes ?? 65_536;
    this.#maxAgeMs = (options.maxAgeSec ?? 300) * 1000;
    this.#cooldownMs = (options.cooldownSec ?? 30) * 1000;
  }

  /** Whether a URL's host is one the operator allowed. */
  allows(uri: string): boolean {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return false;
    }
    return (
      this.#allowed.has(url.host.toLowerCase()) || this.#allowed.has(url.hostname.toLowerCase())
    );
  }

  /**
   * The keys at `uri`, fetched if not cached, stale, or (after the cooldown) lacking `kid`.
   * `operatorConfigured`: the URL comes from the operator (a trusted issuer), not a registration,
   * so the allowed-host list does not apply.
   *
   * @throws Error with a fixed one-line reason (host not allowed, HTTP status, redirect, timeout,
   *   size, not a JWK Set).
   */
  async keys(
    uri: string,
    kid: string | undefined,
    options: { operatorConfigured?: boolean } = {},
  ): Promise<JWK[]> {
    // A trusted issuer's jwks_uri was set by the operator (`m2m-auth trust add`); a client's was
    // given at registration and is limited to the allowed hosts.
    if (options.operatorConfigured !== true && !this.allows(uri)) {
      throw new Error('jwks_uri host is not allowed');
    }
    const now = Date.now();
    let entry = this.#entries.get(uri);
    if (entry === undefined) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      entry = { keys: undefined, fetchedAtMs: Number.NEGATIVE_INFINITY, pending: undefined };
      this.#entries.set(uri, entry);
    }
    const age = now - entry.fetchedAtMs;
    const missingKid =
      kid !== undefined && entry.keys !== undefined && !entry.keys.some((key) => key.kid === kid);
    const due =
      entry.keys === undefined || age >= this.#maxAgeMs || (missingKid && age >= this.#cooldownMs);
    if (!due) return entry.keys as JWK[];
    const current = entry;
    current.pending ??= this.#fetch(uri).then(
      (keys) => {
        current.keys = keys;
        current.fetchedAtMs = Date.now();
        current.pending = undefined;
        return keys;
      },
      (err: unknown) => {
        current.pending = undefined;
        // Keep serving what was fetched before, and do not retry before the cooldown.
        if (current.keys !== undefined) {
          current.fetchedAtMs = Date.now() - this.#maxAgeMs + this.#cooldownMs;
          return current.keys;
        }
        throw err;
      },
    );
    return current.pending;
  }

  async #fetch(uri: string): Promise<JWK[]> {
    let response: Response;
    try {
      response = await fetch(uri, {
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: { accept: 'application/jwk-set+json, application/json' },
      });
    } catch (cause) {
      throw new Error('jwks_uri fetch failed (network error or timeout)', { cause });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new Error(
        response.status >= 300 && response.status < 400
          ? 'jwks_uri answered with a redirect (not followed)'
          : `jwks_uri answered HTTP ${response.status}`,
      );
    }
    const text = await this.#readBounded(response);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('jwks_uri answer is not JSON');
    }
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error('jwks_uri answer is not a JWK Set');
    // Only public keys are ever used: a set that also lists private material has those keys skipped.
    return keys.filter(
      (key): key is JWK =>
        typeof key === 'object' && key !== null && !('d' in key) && !('k' in key),
    );
  }

  async #readBounded(response: Response): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.#maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw new Error('jwks_uri answer is too large');
    }
    if (response.body === null) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.#maxBytes) {
          await reader.cancel().catch(() => {});
          throw new Error('jwks_uri answer is too large');
        }
        chunks.push(value);
      }
    } catch (err) {
      if (err instanceof Error && err.message === 'jwks_uri answer is too large') throw err;
      throw new Error('jwks_uri fetch failed (network error or timeout)', { cause: err });
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
