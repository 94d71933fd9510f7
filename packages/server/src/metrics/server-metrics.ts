import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../app/store.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { AuthServerError } from '../errors/auth-server-error.js';

/** Options of the server's metrics (`serve --admin-port`; see METRICS.md). */
export interface ServerMetricsOptions {
  /**
   * Add a `client_id` label to `m2m_auth_token_requests_total` (only for clients that
   * authenticated, so its values are bounded by the registered clients). Default false: one series
   * per client multiplies the series count by the number of clients.
   */
  clientIdLabel?: boolean;
  /** The scheduled rotation period (`--rotate-every`), seconds, for the next key change. */
  rotateEverySec?: number;
}

/** Names of every metric family the server registers besides the process ones; METRICS.md lists them. */
export const SERVER_METRIC_NAMES = [
  'm2m_auth_token_requests_total',
  'm2m_auth_token_request_duration_seconds',
  'm2m_auth_client_auth_failures_total',
  'm2m_auth_auth_failure_limit_blocks_total',
  'm2m_auth_signing_key_age_seconds',
  'm2m_auth_signing_key_next_change_seconds',
  'm2m_auth_jwks_requests_total',
  'm2m_auth_database_errors_total',
  'm2m_auth_view_age_seconds',
  'm2m_auth_audit_events_written_total',
  'm2m_auth_audit_events_dropped_total',
] as const;

/** Why a client authentication failed, as a bounded label value. */
export type ClientAuthFailureReason =
  | 'unknown_client'
  | 'secret_mismatch'
  | 'client_revoked'
  | 'credentials_missing'
  | 'credentials_malformed'
  | 'multiple_methods'
  | 'method_unsupported'
  | 'wrong_auth_method'
  | 'assertion_invalid'
  | 'assertion_expired'
  | 'assertion_replayed'
  | 'federated_subject_unbound'
  | 'federated_token_invalid';

const AUTH_FAILURE_BY_CAUSE: Readonly<Record<string, ClientAuthFailureReason>> = {
  'unknown client_id': 'unknown_client',
  'secret mismatch': 'secret_mismatch',
  'client revoked': 'client_revoked',
  // private_key_jwt and federated (trusted issuer) assertions.
  'client authenticates with private_key_jwt': 'wrong_auth_method',
  'client has no registered public key': 'wrong_auth_method',
  'private_key_jwt is not enabled': 'method_unsupported',
  'assertion has expired': 'assertion_expired',
  'assertion jti was already used': 'assertion_replayed',
  'no client is bound to the federated subject': 'federated_subject_unbound',
  'client_id is not the client bound to the federated subject': 'federated_subject_unbound',
  'federated token has expired': 'federated_token_invalid',
  'federated token sub is missing': 'federated_token_invalid',
};

/**
 * The reason of an assertion refusal whose cause is not in {@link AUTH_FAILURE_BY_CAUSE}: every
 * other cause of a client assertion or a trusted issuer's token is one of a fixed family (some name
 * a header member), so the label stays bounded.
 */
function assertionFailureReason(cause: string): ClientAuthFailureReason | undefined {
  if (cause.startsWith('federated token ')) return 'federated_token_invalid';
  if (cause.startsWith('assertion ') || cause.startsWith('too many unexpired assertion')) {
    return 'assertion_invalid';
  }
  return undefined;
}

const AUTH_FAILURE_BY_CODE: Readonly<Record<string, ClientAuthFailureReason>> = {
  ERR_CLIENT_AUTH_MISSING: 'credentials_missing',
  ERR_CLIENT_AUTH_MALFORMED: 'credentials_malformed',
  ERR_CLIENT_AUTH_MULTIPLE_METHODS: 'multiple_methods',
  ERR_CLIENT_AUTH_METHOD_UNSUPPORTED: 'method_unsupported',
  ERR_CLIENT_AUTH_CONTROL_CHARACTERS: 'credentials_malformed',
};

/** Latency buckets of a token request, seconds: a token takes about a millisecond to issue. */
const TOKEN_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** What the metrics read of the HTTP layer's in-memory view of the store (its cache). */
export interface StoreViewHealth {
  /** Revision checks that failed since start. */
  readonly failedChecks: number;
  /** Milliseconds since the view last matched the database. */
  viewAgeMs(): number;
}

/**
 * The authorization server's Prometheus metrics in a registry of their own (several servers may
 * share a process). Labels have bounded values: outcomes, RFC 6749 error values, auth methods,
 * fixed reasons, status codes — never input, except registered client_ids when turned on.
 */
export class ServerMetrics {
  /** The registry `GET /metrics` exposes. */
  readonly registry = new Registry();
  readonly #clientIdLabel: boolean;
  readonly #tokenRequests: Counter<string>;
  readonly #tokenDuration: Histogram<string>;
  readonly #authFailures: Counter<string>;
  readonly #limiterBlocks: Counter<string>;
  readonly #jwksRequests: Counter<string>;
  readonly #databaseErrors: Counter<string>;

  constructor(
    sources: { store: Store; cache: StoreViewHealth; auditWriter: AuditWriter | undefined },
    options: ServerMetricsOptions = {},
  ) {
    const registers = [this.registry];
    this.#clientIdLabel = options.clientIdLabel === true;
    this.#tokenRequests = new Counter({
      name: 'm2m_auth_token_requests_total',
      help: 'Token requests (POST /oauth/token) by outcome, client authentication method and RFC 6749 error.',
      labelNames: this.#clientIdLabel
        ? ['outcome', 'auth_method', 'error', 'client_id']
        : ['outcome', 'auth_method', 'error'],
      registers,
    });
    this.#tokenDuration = new Histogram({
      name: 'm2m_auth_token_request_duration_seconds',
      help: 'Time to answer a token request, seconds, by outcome.',
      labelNames: ['outcome'],
      buckets: TOKEN_DURATION_BUCKETS,
      registers,
    });
    this.#authFailures = new Counter({
      name: 'm2m_auth_client_auth_failures_total',
      help: 'Failed client authentications at the token endpoint, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.#limiterBlocks = new Counter({
      name: 'm2m_auth_auth_failure_limit_blocks_total',
      help: 'Token requests refused (429) by the failed-authentication limiter, by the limit reached.',
      labelNames: ['limit'],
      registers,
    });
    this.#jwksRequests = new Counter({
      name: 'm2m_auth_jwks_requests_total',
      help: 'Requests for the JWK Set (GET /.well-known/jwks.json), by HTTP status.',
      labelNames: ['status'],
      registers,
    });
    const cache = sources.cache;
    let seenChecks = 0;
    this.#databaseErrors = new Counter({
      name: 'm2m_auth_database_errors_total',
      help: 'Database failures: failed revision checks, and requests answered 503 because the database did not answer.',
      labelNames: ['operation'],
      registers,
      collect() {
        // The cache counts failed checks; add what it counted since the last scrape.
        if (cache.failedChecks > seenChecks) {
          this.inc({ operation: 'revision_check' }, cache.failedChecks - seenChecks);
          seenChecks = cache.failedChecks;
        }
      },
    });
    this.#databaseErrors.inc({ operation: 'revision_check' }, 0);
    this.#databaseErrors.inc({ operation: 'request' }, 0);
    new Gauge({
      name: 'm2m_auth_view_age_seconds',
      help: "Age of this instance's last successful store revision check, seconds (how stale its view of clients and keys may be).",
      registers,
      collect() {
        const ageMs = cache.viewAgeMs();
        if (Number.isFinite(ageMs)) this.set(ageMs / 1000);
      },
    });
    const { store } = sources;
    const rotateEverySec = options.rotateEverySec;
    /** One key-list query per scrape, shared by the two key gauges (collected concurrently). */
    let pendingKeys: Promise<KeyFacts | undefined> | undefined;
    const keyFacts = (): Promise<KeyFacts | undefined> => {
      pendingKeys ??= readKeyFacts(store, rotateEverySec).finally(() => {
        pendingKeys = undefined;
      });
      return pendingKeys;
    };
    new Gauge({
      name: 'm2m_auth_signing_key_age_seconds',
      help: 'Seconds since the active signing key became active, by algorithm (absent when there is none or the database does not answer).',
      labelNames: ['alg'],
      registers,
      async collect() {
        this.reset();
        const facts = await keyFacts();
        if (facts?.active !== undefined) this.set({ alg: facts.active.alg }, facts.active.ageSec);
      },
    });
    new Gauge({
      name: 'm2m_auth_signing_key_next_change_seconds',
      help: 'Seconds until the next scheduled change of the signing keys, by change: next_key_activation, retired_key_removal, scheduled_rotation (absent when none is due).',
      labelNames: ['change'],
      registers,
      async collect() {
        this.reset();
        const facts = await keyFacts();
        for (const [change, inSec] of facts?.nextChanges ?? []) this.set({ change }, inSec);
      },
    });
    const writer = sources.auditWriter;
    let seenWritten = 0;
    let seenDropped = 0;
    new Counter({
      name: 'm2m_auth_audit_events_written_total',
      help: 'Audit events written to the audit table (serve --audit-store).',
      registers,
      collect() {
        if (writer !== undefined && writer.writtenTotal > seenWritten) {
          this.inc(writer.writtenTotal - seenWritten);
          seenWritten = writer.writtenTotal;
        }
      },
    });
    new Counter({
      name: 'm2m_auth_audit_events_dropped_total',
      help: 'Audit events dropped from the audit table because its queue was full (they are still in the log).',
      registers,
      collect() {
        if (writer !== undefined && writer.droppedTotal > seenDropped) {
          this.inc(writer.droppedTotal - seenDropped);
          seenDropped = writer.droppedTotal;
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Counts one answered token request.
   *
   * @param durationSec - time to answer, seconds.
   * @param error - the refusal, or undefined when a token was issued.
   * @param facts - the auth method and, once authenticated, the client_id.
   */
  tokenRequest(
    durationSec: number,
    error: AuthServerError | undefined,
    facts: { authMethod?: string; clientId?: string; authenticated?: boolean } | undefined,
  ): void {
    const outcome = error === undefined ? 'issued' : 'refused';
    const labels: Record<string, string> = {
      outcome,
      auth_method: facts?.authMethod ?? 'none',
      error: error?.error ?? 'none',
    };
    if (this.#clientIdLabel) {
      labels['client_id'] =
        facts?.authenticated === true && facts.clientId !== undefined ? facts.clientId : '';
    }
    this.#tokenRequests.inc(labels);
    this.#tokenDuration.observe({ outcome }, durationSec);
    if (error === undefined) return;
    const reason =
      error.code === 'ERR_CLIENT_AUTH_FAILED'
        ? (AUTH_FAILURE_BY_CAUSE[String(error.cause)] ??
          assertionFailureReason(String(error.cause)))
        : AUTH_FAILURE_BY_CODE[error.code];
    if (reason !== undefined) this.#authFailures.inc({ reason });
  }

  /** Counts one refusal by the failed-authentication limiter (`client_and_address`, `address`, `client`). */
  limiterBlocked(limit: string): void {
    this.#limiterBlocks.inc({ limit });
  }

  /** Counts one answered JWKS request. */
  jwksRequest(status: number): void {
    this.#jwksRequests.inc({ status: String(status) });
  }

  /** Counts one request answered 503 because the database did not answer. */
  databaseErrorOnRequest(): void {
    this.#databaseErrors.inc({ operation: 'request' });
  }
}

/** What the key gauges show, from one read of the key list. */
interface KeyFacts {
  active: { alg: string; ageSec: number } | undefined;
  /** Seconds until the soonest change of each kind. */
  nextChanges: Map<string, number>;
}

/** Reads the keys; undefined when the database does not answer (the scrape still succeeds). */
async function readKeyFacts(
  store: Store,
  rotateEverySec: number | undefined,
): Promise<KeyFacts | undefined> {
  let keys: Awaited<ReturnType<Store['keys']['list']>>;
  try {
    keys = await store.keys.list();
  } catch {
    // database_errors_total and /readyz say what is wrong.
    return undefined;
  }
  const nowSec = Math.floor(Date.now() / 1000);
  const active = keys.find((key) => key.state === 'active');
  const soonest = new Map<string, number>();
  const note = (change: string, atSec: number) => {
    const inSec = Math.max(0, atSec - nowSec);
    soonest.set(change, Math.min(soonest.get(change) ?? inSec, inSec));
  };
  for (const key of keys) {
    if (key.state === 'next' && key.activatesAt !== null)
      note('next_key_activation', key.activatesAt);
    if (key.state === 'retired' && key.removeAt !== null) note('retired_key_removal', key.removeAt);
  }
  const hasNext = keys.some((key) => key.state === 'next');
  if (rotateEverySec !== undefined && active?.activatedAt != null && !hasNext) {
    note('scheduled_rotation', active.activatedAt + rotateEverySec);
  }
  return {
    active:
      active?.activatedAt != null
        ? { alg: active.alg, ageSec: Math.max(0, nowSec - active.activatedAt) }
        : undefined,
    nextChanges: soonest,
  };
}
