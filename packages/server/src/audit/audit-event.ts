/**
 * Audit events of the token endpoint: one per issued token and one per refused token request.
 * They never carry a client secret, a token or key material; the presented client_id is recorded
 * only when it is shaped like one (see `auditClientId`), since a misconfigured caller may send its
 * secret in that field.
 */

/** Whether a token was issued. */
export type AuditOutcome = 'issued' | 'refused';

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
  /** The issued token's `jti`; null for refusals. */
  jti: string | null;
  /** Source address of the request (as Fastify's `request.ip` sees it); null if unknown. */
  sourceAddress: string | null;
  /** Null for issuances; the `AuthServerErrorCode` of a refusal. */
  reason: string | null;
  /** Private detail of a refusal (e.g. `secret mismatch`, `unknown client_id`); never sent to the caller. */
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
