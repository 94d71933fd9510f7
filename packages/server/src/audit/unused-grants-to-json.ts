import type { UnusedGrantsReport } from './find-unused-grants.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The JSON form of an {@link UnusedGrantsReport}, as printed by `m2m-auth audit unused --json`:
 * snake_case names, times as ISO 8601 UTC strings. A console can serve the same document.
 */
export function unusedGrantsToJson(report: UnusedGrantsReport) {
  return {
    since: iso(report.sinceMs),
    until: iso(report.untilMs),
    first_event: iso(report.firstEventMs),
    covers_period: report.coversPeriod,
    truncated: report.truncated,
    unused_count: report.unusedCount,
    clients: report.clients.map((c) => ({
      client_id: c.clientId,
      name: c.name,
      created_at: iso(c.createdAt * 1000),
      younger_than_period: c.youngerThanPeriod,
      tokens: c.tokens,
      refusals: c.refusals,
      idle: c.idle,
      unused_audiences: c.unusedAudiences,
      unused_scopes: c.unusedScopes,
      command: c.command,
      manifest_changes: c.manifestChanges,
    })),
  };
}
