// The `@m2m-auth/server/audit` entry: audit events of the token, introspection and revocation
// endpoints, usage queries, and the service graph and unused grants built from them.

export {
  type AuditEvent,
  type AuditEventJson,
  type AuditOutcome,
  auditEventToJson,
  type StoredAuditEvent,
} from './audit/audit-event.js';
export {
  type AuditFollowBatch,
  AuditFollower,
  type AuditFollowerOptions,
  FOLLOW_LOOKBACK_MS,
} from './audit/audit-follower.js';
export type { AuditQuery, AuditStore } from './audit/audit-store.js';
export {
  type AuditUsage,
  type AuditUsageQuery,
  type IssuedUsageGroup,
  MAX_USAGE_GROUPS,
  type RefusedUsageGroup,
} from './audit/audit-usage.js';
export {
  type AuditStoreOptions,
  AuditWriter,
  type AuditWriterLogger,
  DEFAULT_AUDIT_STORE_OPTIONS,
} from './audit/audit-writer.js';
export {
  buildServiceGraph,
  type ServiceGraph,
  type ServiceGraphEdge,
  type ServiceGraphNode,
} from './audit/build-service-graph.js';
export {
  findUnusedGrants,
  type UnusedGrants,
  type UnusedGrantsReport,
} from './audit/find-unused-grants.js';
export { formatServiceGraphDot } from './audit/format-service-graph-dot.js';
export { formatServiceGraphMermaid } from './audit/format-service-graph-mermaid.js';
export { serviceGraphToJson } from './audit/service-graph-to-json.js';
export { unusedGrantsToJson } from './audit/unused-grants-to-json.js';
