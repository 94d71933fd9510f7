import { compactVerify, importJWK, type JWK } from 'jose';
import type { TrustedIssuer } from '../clients/trust-store.js';
import { ClientAssertionRefused } from './client-assertion-refused.js';
import { parseStrictJws } from './internal/parse-strict-jws.js';

/** What checking a federated token needs from the server. */
export interface FederatedAssertionContext {
  /** Keys at a trusted issuer's jwks_uri; throws with a fixed reason when they cannot be had. */
  remoteKeys(jwksUri: string, kid: string | undefined): Promise<JWK[]>;
  /** Clock difference tolerated on `exp`, `iat`, `nbf`, seconds. */
  clockToleranceSec: number;
}

const ALGS = new Set(['RS256', 'PS256', 'ES256', 'EdDSA']);
const REFUSED_HEADER_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64', 'enc', 'zip'] as const;
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;
/** Most audiences read from a token's `aud` list. */
const MAX_AUDIENCES = 16;
const MAX_KEYS_TRIED = 3;

type ImportedKey = Awaited<ReturnType<typeof importJWK>>;
const importedKeys = new WeakMap<JWK, Map<string, Promise<ImportedKey>>>();

/**
 * Checks a token of a trusted external issuer presented as `client_assertion` (RFC 7521 §4.2,
 * RFC 7523 §2.2 and §3; workload identity federation), e.g. a Kubernetes projected service-account
 * token as the kubelet writes it:
 * - strict JOSE as for private_key_jwt; `alg` RS256, PS256, ES256 or EdDSA; `typ` absent or JWT;
 * - `iss` the trusted issuer, `sub` the bound subject, `aud` (a string or a list) holding the
 *   trust's audience;
 * - `exp` required and not passed, lifetime (`exp` − `iat`) at most the trust's maximum, `iat`/`nbf`
 *   sane; a `kubernetes.io` claim, when present, names the same namespace and service account;
 * - signed by one of the issuer's keys (inline, or at its jwks_uri).
 * The same token may be presented again until it expires: the kubelet hands one token to a pod for
 * most of its life, so single use is not required of such issuers.
 *
 * @throws ClientAssertionRefused with the reason.
 */
export async function verifyFederatedAssertion(
  assertion: string,
  trust: TrustedIssuer,
  subject: string,
  context: FederatedAssertionContext,
  nowSec: number,
): Promise<void> {
  // A malformed JWS is refused by parseStrictJws itself, as ClientAssertionRefused.
  const { header, payload: claims } = parseStrictJws(assertion);
  const alg = header['alg'];
  if (typeof alg !== 'string' || !ALGS.has(alg)) {
    throw new ClientAssertionRefused('federated token alg is not an accepted algorithm');
  }
  for (const member of REFUSED_HEADER_MEMBERS) {
    if (header[member] !== undefined) {
      throw new ClientAssertionRefused(`federated token header member ${member} is not accepted`);
    }
  }
  const typ = header['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || typ.toLowerCase() !== 'jwt')) {
    throw new ClientAssertionRefused('federated token typ is not JWT');
  }
  const kid = header['kid'];
  if (kid !== undefined && typeof kid !== 'string') {
    throw new ClientAssertionRefused('federated token kid is not a string');
  }
  checkClaims(claims, trust, subject, context.clockToleranceSec, nowSec);

  let keys: JWK[];
  if (trust.jwksUri !== null) {
    try {
      keys = await context.remoteKeys(trust.jwksUri, kid);
    } catch (err) {
      throw new ClientAssertionRefused(
        `trusted issuer keys unavailable: ${err instanceof Error ? err.message : 'error'}`,
      );
    }
  } else {
    keys = trust.keys ?? [];
  }
  const candidates = (kid === undefined ? keys : keys.filter((key) => key.kid === kid))
    .filter((key) => key.alg === undefined || key.alg === alg)
    .slice(0, MAX_KEYS_TRIED);
  if (candidates.length === 0) {
    throw new ClientAssertionRefused('no key of the trusted issuer matches the token kid');
  }
  for (const jwk of candidates) {
    try {
      await compactVerify(assertion, await importKey(jwk, alg), { algorithms: [alg] });
      return;
    } catch {
      // next candidate
    }
  }
  throw new ClientAssertionRefused('federated token signature does not verify');
}

function checkClaims(
  claims: Record<string, unknown>,
  trust: TrustedIssuer,
  subject: string,
  leeway: number,
  nowSec: number,
): void {
  if (claims['iss'] !== trust.issuer) {
    throw new ClientAssertionRefused('federated token iss is not the trusted issuer');
  }
  if (claims['sub'] !== subject) {
    throw new ClientAssertionRefused('federated token sub is not the bound subject');
  }
  const aud = claims['aud'];
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (
    audiences.length === 0 ||
    audiences.length > MAX_AUDIENCES ||
    !audiences.every((item) => typeof item === 'string') ||
    !audiences.includes(trust.audience)
  ) {
    throw new ClientAssertionRefused('federated token aud does not hold the trusted audience');
  }
  const exp = claims['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new ClientAssertionRefused('federated token exp is missing or not a number');
  }
  if (exp <= nowSec - leeway) throw new ClientAssertionRefused('federated token has expired');
  const iat = claims['iat'];
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) {
    throw new ClientAssertionRefused('federated token iat is not a number');
  }
  if (typeof iat === 'number' && iat > nowSec + leeway) {
    throw new ClientAssertionRefused('federated token iat is in the future');
  }
  const nbf = claims['nbf'];
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
    throw new ClientAssertionRefused('federated token nbf is not a number');
  }
  if (typeof nbf === 'number' && nbf > nowSec + leeway) {
    throw new ClientAssertionRefused('federated token is not yet valid (nbf)');
  }
  const start = typeof iat === 'number' ? iat : typeof nbf === 'number' ? nbf : nowSec;
  if (exp - start > trust.maxLifetimeSec) {
    throw new ClientAssertionRefused('federated token lifetime is longer than the trust allows');
  }
  const serviceAccount = SERVICE_ACCOUNT.exec(subject);
  const kubernetes = claims['kubernetes.io'];
  if (serviceAccount !== null && typeof kubernetes === 'object' && kubernetes !== null) {
    const k = kubernetes as { namespace?: unknown; serviceaccount?: { name?: unknown } };
    if (k.namespace !== serviceAccount[1] || k.serviceaccount?.name !== serviceAccount[2]) {
      throw new ClientAssertionRefused('federated token kubernetes.io claim disagrees with sub');
    }
  }
}

function importKey(jwk: JWK, alg: string): Promise<ImportedKey> {
  let byAlg = importedKeys.get(jwk);
  if (byAlg === undefined) {
    byAlg = new Map();
    importedKeys.set(jwk, byAlg);
  }
  let imported = byAlg.get(alg);
  if (imported === undefined) {
    imported = importJWK(jwk, alg);
    byAlg.set(alg, imported);
    imported.catch(() => byAlg.delete(alg));
  }
  return imported;
}
