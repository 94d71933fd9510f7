import type { ClientRecord } from '../clients/client-store.js';
import type { AuditUsage } from './audit-usage.js';

/** A service in {@link ServiceGraph}: a registered client, an audience, or both (same name). */
export interface ServiceGraphNode {
  /** The client's name when registered; else the audience, or the client_id as recorded. */
  id: string;
  /** The client_id of the registered client of this name, or the recorded one; null for an audience only. */
  clientId: string | null;
  /** Whether a client with this client_id or name is registered (revoked ones included). */
  registered: boolean;
  /** Whether that client is revoked. */
  revoked: boolean;
  /** Tokens issued to it as a client in the period. */
  tokensIssued: number;
  /** Tokens issued for it as an audience in the period. */
  tokensReceived: number;
  /** Its refused token requests in the period (with or without an audience). */
  refusals: number;
  /** Of those, the ones that named no audience (e.g. a failed authentication without `audience`). */
  refusalsWithoutAudience: number;
}

/** Tokens issued (and requests refused) for one client → audience pair. */
export interface ServiceGraphEdge {
  /** The calling node's id. */
  from: string;
  /** The audience (the called node's id). */
  to: string;
  /** The client_id as recorded. */
  clientId: string;
  /** Tokens issued for this pair. */
  tokens: number;
  /** Scopes carried by those tokens, each with how many tokens carried it; sorted by scope. */
  scopes: { scope: string; tokens: number }[];
  /** Refused requests of this client for this audience. */
  refusals: number;
  /** Refusal counts by reason (`AuthServerErrorCode`), sorted by reason. */
  refusalReasons: { reason: string; count: number }[];
  /** Last issuance and refusal, Unix milliseconds, or null. */
  lastIssuedMs: number | null;
  lastRefusedMs: number | null;
}

/** Who called whom over a period, from the audit table. */
export interface ServiceGraph {
  sinceMs: number;
  untilMs: number;
  /** Oldest event in the table (null when empty): the graph knows nothing before it. */
  firstEventMs: number | null;
  /** Sorted by id. */
  nodes: ServiceGraphNode[];
  /** Sorted by `from`, then `to`. */
  edges: ServiceGraphEdge[];
  /** Refusals that name no client_id, or one not shaped like one (`sha256:…`), by reason. */
  unattributedRefusals: { reason: string; count: number }[];
  totals: { issued: number; refused: number };
  /** Whether the aggregates were cut at `MAX_USAGE_GROUPS` (the least busy groups are missing). */
  truncated: { issued: boolean; refused: boolean };
}

/** A reason recorded as null (never written by the server) is shown as this. */
const UNKNOWN_REASON = 'unknown';

/**
 * The service graph of a period: nodes are services (a registered client is named by its name,
 * which the manifest also uses as its audience, so caller and callee meet in one node), edges are
 * client → audience pairs with the scopes their tokens actually carried, token counts, and
 * refusals attributed to the presented client_id. Pure: no I/O, output sorted so equal inputs give
 * equal output.
 *
 * @param usage - aggregates from `AuditStore.usage`.
 * @param clients - all registered clients (`ClientStore.list()`), revoked ones included.
 * @returns the graph; an edge exists for every pair with a token or a refusal naming an audience.
 * @example
 * ```ts
 * const graph = buildServiceGraph(await store.audit.usage({ sinceMs }), await store.clients.list());
 * ```
 */
export function buildServiceGraph(
  usage: AuditUsage,
  clients: readonly ClientRecord[],
): ServiceGraph {
  const byId = new Map(clients.map((c) => [c.clientId, c]));
  const byName = new Map(clients.map((c) => [c.name, c]));
  const nodes = new Map<string, ServiceGraphNode>();
  const edges = new Map<string, ServiceGraphEdge & { scopeCounts: Map<string, number> }>();
  const reasonsByEdge = new Map<string, Map<string, number>>();
  const unattributed = new Map<string, number>();

  const node = (id: string): ServiceGraphNode => {
    let found = nodes.get(id);
    if (found === undefined) {
      const client = byName.get(id);
      found = {
        id,
        clientId: client?.clientId ?? null,
        registered: client !== undefined,
        revoked: client !== undefined && client.revokedAt !== null,
        tokensIssued: 0,
        tokensReceived: 0,
        refusals: 0,
        refusalsWithoutAudience: 0,
      };
      nodes.set(id, found);
    }
    return found;
  };
  const clientNode = (clientId: string): ServiceGraphNode => {
    const client = byId.get(clientId);
    if (client !== undefined) return node(client.name);
    // A client_id no longer (or never) registered: its own node, named by the recorded id.
    const found = node(clientId);
    if (found.clientId === null && !found.registered) found.clientId = clientId;
    return found;
  };
  const edge = (clientId: string, from: string, to: string) => {
    const key = JSON.stringify([from, to]);
    let found = edges.get(key);
    if (found === undefined) {
      found = {
        from,
        to,
        clientId,
        tokens: 0,
        scopes: [],
        refusals: 0,
        refusalReasons: [],
        lastIssuedMs: null,
        lastRefusedMs: null,
        scopeCounts: new Map(),
      };
      edges.set(key, found);
    }
    return { key, edge: found };
  };

  for (const group of usage.issued) {
    // Issued tokens always carry a client and an audience; anything else is not a call.
    if (group.clientId === null || group.audience === null) continue;
    const from = clientNode(group.clientId);
    const to = node(group.audience);
    from.tokensIssued += group.count;
    to.tokensReceived += group.count;
    const { edge: found } = edge(group.clientId, from.id, to.id);
    found.tokens += group.count;
    found.lastIssuedMs = Math.max(found.lastIssuedMs ?? 0, group.lastMs);
    for (const scope of new Set(group.scopes)) {
      found.scopeCounts.set(scope, (found.scopeCounts.get(scope) ?? 0) + group.count);
    }
  }

  for (const group of usage.refused) {
    const reason = group.reason ?? UNKNOWN_REASON;
    if (group.clientId === null || group.clientId.startsWith('sha256:')) {
      unattributed.set(reason, (unattributed.get(reason) ?? 0) + group.count);
      continue;
    }
    const from = clientNode(group.clientId);
    from.refusals += group.count;
    if (group.audience === null) {
      from.refusalsWithoutAudience += group.count;
      continue;
    }
    const to = node(group.audience);
    const { key, edge: found } = edge(group.clientId, from.id, to.id);
    found.refusals += group.count;
    found.lastRefusedMs = Math.max(found.lastRefusedMs ?? 0, group.lastMs);
    const reasons = reasonsByEdge.get(key) ?? new Map<string, number>();
    reasons.set(reason, (reasons.get(reason) ?? 0) + group.count);
    reasonsByEdge.set(key, reasons);
  }

  const byKey = <T>(entries: Iterable<[string, T]>) =>
    [...entries].sort(([a], [b]) => compare(a, b));
  return {
    sinceMs: usage.sinceMs,
    untilMs: usage.untilMs,
    firstEventMs: usage.firstEventMs,
    nodes: byKey([...nodes.values()].map((n) => [n.id, n] as [string, ServiceGraphNode])).map(
      ([, n]) => n,
    ),
    edges: [...edges.entries()]
      .sort(([, a], [, b]) => compare(a.from, b.from) || compare(a.to, b.to))
      .map(([key, { scopeCounts, ...rest }]) => ({
        ...rest,
        scopes: byKey(scopeCounts.entries()).map(([scope, tokens]) => ({ scope, tokens })),
        refusalReasons: byKey(reasonsByEdge.get(key)?.entries() ?? []).map(([reason, count]) => ({
          reason,
          count,
        })),
      })),
    unattributedRefusals: byKey(unattributed.entries()).map(([reason, count]) => ({
      reason,
      count,
    })),
    totals: { ...usage.totals },
    truncated: { ...usage.truncated },
  };
}

/** Code-unit order, the same in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
