/**
 * The `Authorization` field value(s) of a Node.js request, from `req.rawHeaders`: `undefined`
 * when absent, the value when sent once, and every value when sent several times. Node's
 * `req.headers.authorization` keeps only the first of duplicates, hiding a request that carries
 * two credentials (RFC 6750 §3.1 answers those with `invalid_request`).
 *
 * @param rawHeaders - `req.rawHeaders` (alternating names and values).
 * @example
 * ```ts
 * const header = readAuthorizationHeader(req.rawHeaders);
 * const auth = await verifier.authenticate(header);
 * ```
 */
export function readAuthorizationHeader(
  rawHeaders: readonly string[],
): string | string[] | undefined {
  let first: string | undefined;
  let all: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 13 || !isAuthorization(name)) continue;
    const value = rawHeaders[i + 1] as string;
    if (first === undefined) {
      first = value;
    } else {
      all ??= [first];
      all.push(value);
    }
  }
  return all ?? first;
}

const AUTHORIZATION = 'authorization';

function isAuthorization(name: string): boolean {
  for (let i = 0; i < 13; i++) {
    // ASCII case-insensitive: set the lower-case bit (letters only in this name).
    if ((name.charCodeAt(i) | 0x20) !== AUTHORIZATION.charCodeAt(i)) return false;
  }
  return true;
}
