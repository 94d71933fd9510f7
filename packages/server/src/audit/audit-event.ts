/**
 * Audit events of the token endpoint (one per issued token and one per refused token request) and
 * of the introspection and revocation endpoints (one per request, answered or refused).
 * They never carry a client secret, a token or key material; the presented client_id is recorded
 * only when it is shaped like one (see `auditClientId`), since a misconfigured caller may send its
 * secret in that field.
 */

/**
 * What a request came to: at the token endpoint a token was `issued` or the request `refused`;
 * at `POST /oauth/introspect` the caller was answered (`introspected`, the token's state in
 * `detail`) or refused (`introspection_refused`); at `POST /oauth/revoke` the request was answered
 * (`revoked`, what happened in `detail`: RFC 7009 §2.2 answers 200 for an invalid token too) or
 * refused (`revocation_refused`).
 */
export type AuditOutcome =
  | 'issued'
  | 'refused'
  | 'introspected'
  | 'introspection_refused'
  | 'revoked'
  | 'revocation_refused';

/** One audit event, as logged, stored and shown by `m2m-auth audit tail --json`. */
export interface AuditEvent {
  /** When the request was decided, Unix milliseconds. */
  timeMs: number;
  outcome: AuditOutcome;
  /**
   * The client_id: the authenticated client's, or for a refusal the presented one when it is
   * shaped like a client_id; `sha256:<prefix>` of anything else; null when none was presented.
   */
  clientId: string | null;
  /** The token's audience, or for a refusal the requested one (truncated); null if none. */
  audience: string | null;
  /** Granted scopes, or for a refusal the requested ones (at most 32, truncated); null if none. */
  scopes: string[] | null;
  /** The issued, introspected or revoked token's `jti` (when it is one of ours); null for refusals. */
  jti: string | null;
  /** Source address of the request (as Fastify's `request.ip` sees it); null if unknown. */
  sourceAddress: string | null;
  /** Null for answered requests; the `AuthServerErrorCode` of a refusal. */
  reason: string | null;
  /**
   * Private detail of a refusal (e.g. `secret mismatch`, `unknown client_id`), or what an
   * introspection or revocation found; never sent to the caller.
   */
  detail: string | null;
  /** HTTP status of the answer. */
  status: number;
}

/** An {@link AuditEvent} read back from the audit table, with the row's identifier. */
export interface StoredAuditEvent extends AuditEvent {
  /** The row's unique identifier (a UUID), assigned when the event was stored. */
  eventId: string;
}

/** The JSON form of an {@link AuditEvent} (snake_case, as OAuth writes names on the wire). */
export interface AuditEventJson {
  time: string;
  outcome: AuditOutcome;
  client_id: string | null;
  audience: string | null;
  scopes: string[] | null;
  jti: string | null;
  source_address: string | null;
  reason: string | null;
  detail: string | null;
  status: number;
}

/**
 * The JSON form of an audit event, as written in log lines and by `m2m-auth audit tail --json`.
 *
 * @param event - the event.
 * @returns snake_case fields, `time` as an ISO 8601 UTC string.
 * @example
 * ```ts
 * log.info({ audit: auditEventToJson(event) }, 'token issued');
 * ```
 */
export function auditEventToJson(event: AuditEvent): AuditEventJson {
  return {
    time: new Date(event.timeMs).toISOString(),
    outcome: event.outcome,
    client_id: event.clientId,
    audience: event.audience,
    scopes: event.scopes,
    jti: event.jti,
    source_address: event.sourceAddress,
    reason: event.reason,
    detail: event.detail,
    status: event.status,
  };
}
