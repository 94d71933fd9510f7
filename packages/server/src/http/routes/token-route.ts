import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ClientCredentials } from '../../clients/client-store.js';
import { hashClientSecret } from '../../clients/hash-client-secret.js';
import { isLegacySecretHash, verifyLegacySecret } from '../../clients/legacy-secret-hash.js';
import { verifyClientSecret } from '../../clients/verify-client-secret.js';
import { AuthServerError } from '../../errors/auth-server-error.js';
import {
  type ClientCredentialsGrantContext,
  grantClientCredentials,
  type TokenRequestFacts,
} from '../../grants/client-credentials-grant.js';
import { parseStrictJws } from '../../grants/internal/parse-strict-jws.js';
import { verifyClientAssertion } from '../../grants/verify-client-assertion.js';
import { verifyFederatedAssertion } from '../../grants/verify-federated-assertion.js';
import { TOKEN_PATH } from '../endpoint-paths.js';
import { issuerBase, type ServerContext } from '../internal/server-context.js';

export { TOKEN_PATH };

/**
 * A hash no presented secret can match (its preimage is thrown away), compared against when the
 * client_id is unknown or revoked so that both cost the same work as a wrong secret.
 */
const DECOY_HASHES = [hashClientSecret(crypto.randomUUID() + crypto.randomUUID())];

/** Where legacy (Passport) secret checks are counted and logged; without it they are not made. */
export interface LegacySecretVerification {
  readonly counts: ServerContext['legacySecretVerifications'];
  readonly log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
}

/** A failed read of the store is a 503 the caller may retry. */
function unavailable(cause: unknown): never {
  throw new AuthServerError('ERR_STORE_UNAVAILABLE', { cause });
}

/** How often expired client-assertion jtis are deleted, milliseconds. */
const JTI_PURGE_INTERVAL_MS = 60_000;

/**
 * The grant context of the token endpoint: clients from the store cache, secrets compared with
 * `verify` (verifyClientSecret; a parameter so tests can count comparisons), the failure limiter.
 */
export function createTokenGrantContext(
  context: Pick<ServerContext, 'cache' | 'authFailureLimiter' | 'issuer'> &
    Partial<Pick<ServerContext, 'clientAssertion' | 'basePath' | 'metrics'>>,
  verify: typeof verifyClientSecret = verifyClientSecret,
  legacy?: LegacySecretVerification,
): ClientCredentialsGrantContext {
  const { cache, authFailureLimiter: limiter } = context;
  const grantContext: ClientCredentialsGrantContext = {
    get issuer() {
      return context.issuer;
    },
    // A lookup in the client table held in memory per store revision: known, revoked and unknown
    // client_ids take the same path (no query, nothing cached per id; see StoreCache.findClient).
    findClient: (clientId) => cache.findClient(clientId),
    // Every request compares its secret with the stored hashes (one SHA-256, a microsecond; see
    // clients/hash-client-secret.ts for why that is enough): no cache of *verified* secrets
    // exists that could outlive a revocation or rotation. The hashes are cached per store
    // revision, which every rotation and revocation moves, and a grace period's end is checked
    // here, on every comparison.
    // Unknown and revoked clients (the latter have no hashes left) are compared with a decoy: one
    // hash of the presented secret and at least one comparison, whoever it names. A client
    // adopted from Passport may still hold a bcrypt/argon2id hash (slow by design; the failure
    // limiter runs before it).
    verifySecret: (credentials: ClientCredentials | undefined, secret, nowSec) => {
      const known =
        credentials !== undefined &&
        credentials.client.revokedAt === null &&
        credentials.secrets.length > 0;
      if (verify(secret, known ? credentials.secrets : DECOY_HASHES, nowSec)) return true;
      if (!known || legacy === undefined) return false;
      const legacyHashes = credentials.secrets.filter(
        (s) => isLegacySecretHash(s) && (s.expiresAt === null || s.expiresAt > nowSec),
      );
      if (legacyHashes.length === 0) return false;
      return verifyLegacy(credentials, legacyHashes, secret, legacy);
    },
    signingKey: (nowSec) => cache.signingKey(nowSec),
  };
  /**
   * A client adopted from Laravel Passport keeps its bcrypt/argon2id hash until it authenticates
   * once: the secret it presented then is hashed with the server's own scheme and replaces the
   * legacy hash (if it is still stored as it was), so later requests take the fast path.
   */
  async function verifyLegacy(
    credentials: ClientCredentials,
    legacyHashes: readonly ClientCredentials['secrets'][number][],
    secret: string,
    { counts, log }: LegacySecretVerification,
  ): Promise<boolean> {
    const clientId = credentials.client.clientId;
    for (const stored of legacyHashes) {
      if (!(await verifyLegacySecret(secret, stored))) continue;
      counts.succeeded += 1;
      log.info(
        { clientId, scheme: stored.scheme, legacySecretVerifications: counts },
        'legacy client secret hash verified; replacing it with the server hash',
      );
      try {
        await cache.replaceSecretHash(clientId, stored, hashClientSecret(secret, stored.expiresAt));
      } catch (err) {
        // The secret was right: the request succeeds, and the next one tries the upgrade again.
        log.warn({ err, clientId }, 'could not replace a legacy client secret hash');
      }
      return true;
    }
    counts.failed += 1;
    log.info(
      { clientId, legacySecretVerifications: counts },
      'legacy client secret hash did not match',
    );
    return false;
  }

  if (context.clientAssertion !== undefined) {
    addClientAssertions(grantContext, context, context.clientAssertion, legacy?.log);
  }
  if (limiter !== undefined) {
    grantContext.admitClient = (clientId, request) => {
      const refusal = limiter.check(clientId, request.sourceAddress ?? '', Date.now());
      if (refusal !== undefined) {
        context.metrics?.limiterBlocked(refusal.scope);
        throw new AuthServerError('ERR_CLIENT_AUTH_RATE_LIMITED', {
          cause: `failure limit per ${refusal.scope.replaceAll('_', ' ')}`,
          retryAfterSec: refusal.retryAfterSec,
        });
      }
    };
    grantContext.clientAuthenticated = (clientId, ok, request) => {
      const address = request.sourceAddress ?? '';
      if (ok) limiter.recordSuccess(clientId, address, Date.now());
      else limiter.recordFailure(clientId, address, Date.now());
    };
  }
  return grantContext;
}

/**
 * Adds `private_key_jwt` (RFC 7523 §2.2) and workload-identity assertions to a grant context.
 */
function addClientAssertions(
  grantContext: ClientCredentialsGrantContext,
  context: Pick<ServerContext, 'cache' | 'issuer'> & Partial<Pick<ServerContext, 'basePath'>>,
  assertions: ServerContext['clientAssertion'],
  log: Pick<FastifyBaseLogger, 'error'> | undefined,
): void {
  const { cache } = context;
  // Used jtis are deleted once expired, at most once a minute per instance, off the request path.
  let lastPurgeMs = Date.now();
  const purgeExpiredJtis = (): void => {
    const now = Date.now();
    if (now - lastPurgeMs < JTI_PURGE_INTERVAL_MS) return;
    lastPurgeMs = now;
    assertions.jtis.purge().catch((err: unknown) => {
      log?.error({ err }, 'purging expired client-assertion jtis failed');
    });
  };
  grantContext.findFederated = async (assertion) => {
    let claims: Record<string, unknown>;
    try {
      claims = parseStrictJws(assertion).payload;
    } catch {
      return undefined;
    }
    const { iss, sub } = claims;
    if (typeof iss !== 'string' || iss.length > 2048) return undefined;
    const trust = await assertions.trust.byIssuer(iss).catch(unavailable);
    if (trust === undefined) return undefined;
    const subject = typeof sub === 'string' ? sub : '';
    const clientId =
      subject === ''
        ? undefined
        : await assertions.trust.boundClient(trust.name, subject).catch(unavailable);
    return {
      credentials: clientId === undefined ? undefined : await cache.findClient(clientId),
      verify: (nowSec: number) =>
        verifyFederatedAssertion(
          assertion,
          trust,
          subject,
          {
            remoteKeys: (uri, kid) => assertions.jwks.keys(uri, kid, { operatorConfigured: true }),
            clockToleranceSec: assertions.settings.clockToleranceSec,
          },
          nowSec,
        ),
    };
  };
  grantContext.verifyAssertion = (assertion, clientId, publicKeys, nowSec) =>
    verifyClientAssertion(
      assertion,
      clientId,
      publicKeys,
      {
        issuer: context.issuer,
        tokenEndpoint: issuerBase(context) + TOKEN_PATH,
        settings: assertions.settings,
        remoteKeys: (uri, kid) => assertions.jwks.keys(uri, kid),
        consumeJti: (id, jti, expiresAt) => {
          purgeExpiredJtis();
          return assertions.jtis
            .consume(id, jti, expiresAt, assertions.settings.maxJtisPerClient)
            .catch((cause: unknown) => {
              throw new AuthServerError('ERR_STORE_UNAVAILABLE', { cause });
            });
        },
      },
      nowSec,
    );
}

/**
 * Registers `POST /oauth/token` (client_credentials, RFC 6749 §4.4) and a 405 for other methods.
 * Each request is an audit event (issued here; refusals in buildServer's error handler, which also
 * sees body parsing failures); failed client authentications feed the limiter, which refuses
 * with 429 before any lookup once a limit is reached.
 */
export function registerTokenRoute(app: FastifyInstance, context: ServerContext): void {
  const { cache } = context;
  const grantContext = createTokenGrantContext(context, verifyClientSecret, {
    counts: context.legacySecretVerifications,
    log: app.log,
  });

  app.post(context.basePath + TOKEN_PATH, async (request, reply) => {
    // RFC 6749 §5.1: token responses must not be cached; set first so error replies carry it too.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const facts: TokenRequestFacts = {};
    context.tokenRequestFacts.set(request, facts);
    // Node keeps only the first of several Authorization headers: refuse rather than pick one.
    if (countAuthorizationHeaders(request.raw.rawHeaders) > 1) {
      throw new AuthServerError('ERR_CLIENT_AUTH_MULTIPLE_METHODS', {
        cause: 'several Authorization headers',
      });
    }
    const fresh = cache.ensureFresh();
    if (fresh !== undefined) await fresh;
    const result = await grantClientCredentials(
      {
        params: (request.body as Record<string, unknown> | undefined) ?? {},
        authorization: request.headers.authorization,
        sourceAddress: request.ip,
        facts,
      },
      grantContext,
    );
    context.audit.issued(request, result);
    return result.body;
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: context.basePath + TOKEN_PATH,
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new AuthServerError('ERR_METHOD_NOT_ALLOWED');
    },
  });
}

/** How many `Authorization` header lines a request carried (names at even indexes). */
function countAuthorizationHeaders(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // Lower-cased only when the length fits: no new string per header name.
    if (name?.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}
