import { VerifierError } from '../errors.js';
import type { SupportedAlgorithm, TokenFormat } from '../types.js';

/**
 * Header members that only a JWE (RFC 7516 §4.1) or an unencoded payload (RFC 7797 §3) carries:
 * a signed access token never has them, so their presence means someone is trying another path.
 */
const FORBIDDEN_MEMBERS = ['enc', 'zip', 'b64'] as const;

/** The `typ` each token format must carry, lower-cased, without the `application/` prefix. */
const EXPECTED_TYP: Record<TokenFormat, string> = { rfc9068: 'at+jwt', passport: 'jwt' };

/** What a verified header tells the key lookup. */
export interface CheckedHeader {
  readonly alg: SupportedAlgorithm;
  readonly kid: string | undefined;
}

/**
 * Checks a protected header before any key is looked up: `alg` is one of the allowed algorithms
 * (so `none` in any casing and HMAC never are, RFC 8725 §3.1), `typ` is the expected media type
 * (RFC 9068 §4; RFC 7515 §4.1.9: case-insensitive, `application/` optional), no `crit` (we
 * understand no extension, RFC 7515 §4.1.11), no `b64` (RFC 7797) and no JWE members, `kid` a
 * string when present. `jwk`, `jku`, `x5u`, `x5c` are ignored: keys only ever come from the
 * configured key source (RFC 8725 §3.10).
 *
 * @throws VerifierError `ERR_TOKEN_MALFORMED`, `ERR_ALGORITHM_NOT_ALLOWED`, `ERR_TOKEN_TYPE_INVALID`.
 */
export function checkJwsHeader(
  header: Record<string, unknown>,
  algorithms: ReadonlySet<string>,
  format: TokenFormat,
): CheckedHeader {
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string') {
    throw new VerifierError('ERR_TOKEN_MALFORMED', 'alg header is missing or not a string');
  }
  if (!algorithms.has(alg)) {
    throw new VerifierError(
      'ERR_ALGORITHM_NOT_ALLOWED',
      'alg header names an algorithm that is not allowed',
    );
  }
  if (header['crit'] !== undefined) {
    throw new VerifierError('ERR_TOKEN_MALFORMED', 'crit header names an unsupported extension');
  }
  for (const member of FORBIDDEN_MEMBERS) {
    if (header[member] !== undefined) {
      throw new VerifierError(
        'ERR_TOKEN_MALFORMED',
        `${member} header is not accepted in a signed access token`,
      );
    }
  }
  if (kid !== undefined && typeof kid !== 'string') {
    throw new VerifierError('ERR_TOKEN_MALFORMED', 'kid header is not a string');
  }
  if (typeof typ !== 'string' || normalizeTyp(typ) !== EXPECTED_TYP[format]) {
    throw new VerifierError(
      'ERR_TOKEN_TYPE_INVALID',
      format === 'rfc9068' ? 'typ header is not at+jwt' : 'typ header is not JWT',
    );
  }
  return { alg: alg as SupportedAlgorithm, kid };
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}
