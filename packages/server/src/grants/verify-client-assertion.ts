import { compactVerify, importJWK, type JWK } from 'jose';
import type { JtiConsumption } from '../clients/assertion-jti-store.js';
import type { ClientPublicKeys } from '../clients/client-store.js';
import { ClientAssertionRefused } from './client-assertion-refused.js';
import { parseStrictJws } from './internal/parse-strict-jws.js';

/** `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Rules of client assertions that an operator may tune (all seconds). */
export interface ClientAssertionSettings {
  /** Longest accepted assertion lifetime, `exp` − `iat` (or − now without `iat`); default 60. */
  maxLifetimeSec: number;
  /** Clock difference tolerated on `exp`, `iat`, `nbf`; default 10. */
  clockToleranceSec: number;
  /**
   * Also accept the token endpoint URL as `aud` (RFC 7523 §3; libraries such as Authlib send it).
   * false: only the issuer identifier, as the revision of RFC 7523 requires. Default true.
   */
  acceptTokenEndpointAudience: boolean;
  /** Bound of unexpired used `jti`s kept per client; beyond it assertions are refused. Default 10000. */
  maxJtisPerClient: number;
}

/** Defaults of {@link ClientAssertionSettings}. */
export const DEFAULT_CLIENT_ASSERTION_SETTINGS: Readonly<ClientAssertionSettings> = Object.freeze({
  maxLifetimeSec: 60,
  clockToleranceSec: 10,
  acceptTokenEndpointAudience: true,
  maxJtisPerClient: 10_000,
});

/** What checking an assertion needs from the server. */
export interface ClientAssertionContext {
  /** The issuer identifier (the `aud` every assertion must carry, RFC 7523bis). */
  issuer: string;
  /** The token endpoint URL (the `aud` RFC 7523 §3 also allows). */
  tokenEndpoint: string;
  settings: ClientAssertionSettings;
  /** Keys of a `jwks_uri` client; throws with a fixed reason when they cannot be had. */
  remoteKeys(jwksUri: string, kid: string | undefined): Promise<JWK[]>;
  /** Records a jti as used until `expiresAt`, atomically across instances. */
  consumeJti(clientId: string, jti: string, expiresAt: number): Promise<JtiConsumption>;
}

/** Largest accepted `jti`, characters (the used-jti store is bounded per entry too). */
const MAX_JTI_LENGTH = 256;
/** Most keys tried when an assertion names no `kid`. */
const MAX_KEYS_TRIED = 3;
/** Header members that would bring their own key or another processing path (RFC 8725 §3.10). */
const REFUSED_HEADER_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64', 'enc', 'zip'] as const;
/** Accepted `typ` values (lower-case, without `application/`): none, JWT, or the explicit type. */
const ACCEPTED_TYP = new Set(['jwt', 'client-authentication+jwt']);

type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

const importedKeys = new WeakMap<JWK, Promise<ImportedKey>>();

/**
 * Checks a `private_key_jwt` client assertion (RFC 7523 §2.2 and §3, RFC 7521 §4.2, and the
 * revision of RFC 7523) for the client `clientId` registered with `publicKeys`:
 * - strict JOSE: canonical base64url, no duplicate members, no embedded or referenced keys (`jwk`,
 *   `jku`, `x5u`, `x5c`), no `crit`; `alg` equal to the client's pinned algorithm (so never `none`
 *   or HMAC); `typ` absent, `JWT` or `client-authentication+jwt`;
 * - `iss` = `sub` = the client_id; `aud` the issuer identifier as a single string (or the token
 *   endpoint URL unless refused by settings);
 * - `exp` required and not passed, lifetime at most `maxLifetimeSec`; `iat` not in the future nor
 *   older than the lifetime; `nbf` passed; all with the clock tolerance;
 * - `jti` required, then consumed (single use) until `exp` + tolerance — after the signature checks.
 *
 * @param assertion - the `client_assertion` parameter.
 * @param nowSec - current time, Unix seconds.
 * @throws ClientAssertionRefused with the reason (for the audit; the caller answers invalid_client).
 */
export async function verifyClientAssertion(
  assertion: string,
  clientId: string,
  publicKeys: ClientPublicKeys,
  context: ClientAssertionContext,
  nowSec: number,
): Promise<void> {
  // A malformed JWS is refused by parseStrictJws itself, as ClientAssertionRefused.
  const { header, payload: claims } = parseStrictJws(assertion);
  if (header['alg'] !== publicKeys.alg) {
    throw new ClientAssertionRefused(
      'assertion alg is not the algorithm registered for the client',
    );
  }
  for (const member of REFUSED_HEADER_MEMBERS) {
    if (header[member] !== undefined) {
      throw new ClientAssertionRefused(`assertion header member ${member} is not accepted`);
    }
  }
  const typ = header['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYP.has(normalizeTyp(typ)))) {
    throw new ClientAssertionRefused('assertion typ is not JWT or client-authentication+jwt');
  }
  const kid = header['kid'];
  if (kid !== undefined && typeof kid !== 'string') {
    throw new ClientAssertionRefused('assertion kid is not a string');
  }
  checkClaims(claims, clientId, context, nowSec);

  const candidates = await candidateKeys(publicKeys, kid, context);
  if (candidates.length === 0) {
    throw new ClientAssertionRefused('no registered key matches the assertion kid');
  }
  let verified = false;
  for (const jwk of candidates) {
    let key: ImportedKey;
    try {
      key = await importKey(jwk, publicKeys.alg);
    } catch {
      continue;
    }
    try {
      await compactVerify(assertion, key, { algorithms: [publicKeys.alg] });
      verified = true;
      break;
    } catch {
      // try the next candidate key
    }
  }
  if (!verified) throw new ClientAssertionRefused('assertion signature does not verify');

  const exp = claims['exp'] as number;
  const outcome = await context.consumeJti(
    clientId,
    claims['jti'] as string,
    Math.ceil(exp) + context.settings.clockToleranceSec,
  );
  if (outcome === 'replayed') throw new ClientAssertionRefused('assertion jti was already used');
  if (outcome === 'full') {
    throw new ClientAssertionRefused('too many unexpired assertion jtis for this client');
  }
}

function checkClaims(
  claims: Record<string, unknown>,
  clientId: string,
  context: ClientAssertionContext,
  nowSec: number,
): void {
  const { settings } = context;
  const leeway = settings.clockToleranceSec;
  if (claims['iss'] !== clientId)
    throw new ClientAssertionRefused('assertion iss is not the client_id');
  if (claims['sub'] !== clientId)
    throw new ClientAssertionRefused('assertion sub is not the client_id');
  const aud = claims['aud'];
  if (typeof aud !== 'string') {
    throw new ClientAssertionRefused('assertion aud is not a single string');
  }
  if (aud !== context.issuer) {
    if (aud !== context.tokenEndpoint) {
      throw new ClientAssertionRefused('assertion aud is not this server');
    }
    if (!settings.acceptTokenEndpointAudience) {
      throw new ClientAssertionRefused('assertion aud is the token endpoint, not the issuer');
    }
  }
  const exp = claims['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new ClientAssertionRefused('assertion exp is missing or not a number');
  }
  if (exp <= nowSec - leeway) throw new ClientAssertionRefused('assertion has expired');
  const iat = claims['iat'];
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      throw new ClientAssertionRefused('assertion iat is not a number');
    }
    if (iat > nowSec + leeway) throw new ClientAssertionRefused('assertion iat is in the future');
    if (iat < nowSec - settings.maxLifetimeSec - leeway) {
      throw new ClientAssertionRefused('assertion iat is too old');
    }
    if (exp <= iat) throw new ClientAssertionRefused('assertion exp is not after iat');
  }
  const start = typeof iat === 'number' ? iat : nowSec;
  if (exp - start > settings.maxLifetimeSec + (iat === undefined ? leeway : 0)) {
    throw new ClientAssertionRefused('assertion lifetime is longer than allowed');
  }
  const nbf = claims['nbf'];
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) {
      throw new ClientAssertionRefused('assertion nbf is not a number');
    }
    if (nbf > nowSec + leeway) throw new ClientAssertionRefused('assertion is not yet valid (nbf)');
  }
  const jti = claims['jti'];
  if (typeof jti !== 'string' || jti === '') {
    throw new ClientAssertionRefused('assertion jti is missing');
  }
  if (jti.length > MAX_JTI_LENGTH) throw new ClientAssertionRefused('assertion jti is too long');
}

async function candidateKeys(
  publicKeys: ClientPublicKeys,
  kid: string | undefined,
  context: ClientAssertionContext,
): Promise<JWK[]> {
  let keys: JWK[];
  if (publicKeys.jwksUri !== null) {
    try {
      keys = await context.remoteKeys(publicKeys.jwksUri, kid);
    } catch (err) {
      throw new ClientAssertionRefused(
        err instanceof Error ? err.message : 'jwks_uri keys unavailable',
      );
    }
    keys = keys.filter((key) => key.alg === undefined || key.alg === publicKeys.alg);
    keys = keys.filter((key) => key.use === undefined || key.use === 'sig');
  } else {
    keys = publicKeys.keys ?? [];
  }
  if (kid !== undefined) {
    const named = keys.filter((key) => key.kid === kid);
    // Inline keys are the client's own few: a kid they do not carry (e.g. a library's own key id)
    // still tries them. A jwks_uri lists keys by kid, and an unknown kid was refetched already.
    if (named.length > 0 || publicKeys.jwksUri !== null) return named.slice(0, MAX_KEYS_TRIED);
  }
  return keys.slice(0, MAX_KEYS_TRIED);
}

function importKey(jwk: JWK, alg: string): Promise<ImportedKey> {
  let imported = importedKeys.get(jwk);
  if (imported === undefined) {
    imported = importJWK(jwk, alg);
    importedKeys.set(jwk, imported);
    imported.catch(() => importedKeys.delete(jwk));
  }
  return imported;
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}
