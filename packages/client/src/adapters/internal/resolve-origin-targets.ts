import type { TokenClient } from '../../create-token-client.js';
import { checkOptionNames } from '../../internal/check-option-names.js';
import { TARGET_OPTION_NAMES, type TokenTargetOptions } from '../../token-client-options.js';

/** Which token goes to which origin: `https://host[:port]` (as `URL.origin` writes it) → target. */
export type OriginTargets = ReadonlyMap<string, Readonly<TokenTargetOptions>>;

const ADAPTER_OPTION_NAMES = ['client', 'origins', 'allowInsecureHttp'];

/**
 * Checks an adapter's options at construction: known names only, a token client, and `origins`
 * mapping each origin (scheme, host and port; no path, query, fragment or credentials) to the
 * audience and scope of the tokens it gets. Plain-http origins must be loopback addresses unless
 * `allowInsecureHttp` is set: a bearer token travels in clear text there (RFC 6750 §5.3).
 *
 * @throws TypeError naming the option that is unknown, missing or invalid.
 */
export function resolveAdapterOptions(
  name: string,
  options: unknown,
): { client: TokenClient; targets: OriginTargets } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${name} needs { client, origins }`);
  }
  checkOptionNames(options, ADAPTER_OPTION_NAMES, name);
  const {
    client,
    origins,
    allowInsecureHttp = false,
  } = options as {
    client?: TokenClient;
    origins?: Record<string, TokenTargetOptions>;
    allowInsecureHttp?: boolean;
  };
  if (typeof client?.getToken !== 'function' || typeof client.invalidateToken !== 'function') {
    throw new TypeError(`${name} needs { client } made with createTokenClient`);
  }
  if (typeof allowInsecureHttp !== 'boolean') {
    throw new TypeError(`${name}: allowInsecureHttp must be a boolean`);
  }
  if (typeof origins !== 'object' || origins === null || Object.keys(origins).length === 0) {
    throw new TypeError(
      `${name} needs { origins }: the origins that get tokens, e.g. { 'https://doctors.internal': { audience: 'ms_doctor' } }`,
    );
  }
  const targets = new Map<string, Readonly<TokenTargetOptions>>();
  for (const [given, target] of Object.entries(origins)) {
    const origin = parseOrigin(name, given, allowInsecureHttp);
    if (typeof target !== 'object' || target === null) {
      throw new TypeError(`${name}: origins["${given}"] must be { audience?, scope? }`);
    }
    checkOptionNames(target, TARGET_OPTION_NAMES, `${name} origins["${given}"]`);
    // The client checks audience and scope; asking for the cache slot does it now, not at the
    // first request (no token is requested).
    client.invalidateToken('', target);
    targets.set(origin, Object.freeze({ ...target }));
  }
  return { client, targets };
}

function parseOrigin(name: string, given: string, allowInsecureHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new TypeError(`${name}: origins key "${given}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${name}: origins key "${given}" must be an http(s) origin`);
  }
  if (
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.pathname !== '/'
  ) {
    throw new TypeError(
      `${name}: origins key "${given}" must be an origin only (scheme://host[:port]), without path, query or credentials`,
    );
  }
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopback(url.hostname)) {
    throw new TypeError(
      `${name}: origins key "${given}" is plain http on a non-loopback host; use https (RFC 6750 §5.3) or set allowInsecureHttp`,
    );
  }
  return url.origin;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The origin of a request URL as the targets are keyed, or `undefined` when it does not parse. */
export function originOf(url: string | URL): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
