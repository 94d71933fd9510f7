import type { Store } from '../../app/store.js';
import type { AuditOutcome, StoredAuditEvent } from '../../audit/audit-event.js';
import { auditEventToJson } from '../../audit/audit-event.js';

/** What {@link readAudit} selects. */
export interface AuditReadQuery {
  /** A client's name or client_id; anything else is taken as a recorded client_id. */
  client?: string;
  /** Only events at or after this time, Unix milliseconds. */
  sinceMs?: number;
  /** Only issued tokens, or only refused requests. */
  outcome?: AuditOutcome;
  /** At most this many events, the most recent ones (the store's default and cap apply). */
  limit?: number;
}

/**
 * The most recent audit events of the audit table (`serve --audit-store`), oldest first, with
 * the names of the clients they name. Shared by `m2m-auth audit tail` and `GET /admin/v1/audit`.
 */
export async function readAudit(
  store: Store,
  query: AuditReadQuery,
): Promise<{
  events: StoredAuditEvent[];
  names: Map<string, string>;
  json: Record<string, unknown>[];
}> {
  const clients = await store.clients.list();
  // A name or client_id of a registered client; anything else is taken as a recorded client_id
  // (an unknown or deleted client, or a `sha256:` digest from a refusal).
  const clientId =
    query.client === undefined
      ? undefined
      : (clients.find((c) => c.clientId === query.client || c.name === query.client)?.clientId ??
        query.client);
  const names = new Map(clients.map((c) => [c.clientId, c.name]));
  const events = await store.audit.list({
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(query.sinceMs === undefined ? {} : { sinceMs: query.sinceMs }),
    ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
  });
  return {
    events,
    names,
    json: events.map((event) => ({
      ...auditEventToJson(event),
      client_name: event.clientId === null ? null : (names.get(event.clientId) ?? null),
    })),
  };
}
