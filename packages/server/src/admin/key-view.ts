import { formatTime } from '../internal/format-time.js';
import type { KeyLifecycleChange, SigningKeyRecord } from '../keys/key-store.js';

/** The key's next state change, if one is planned: `{ state, at }` (at: Unix seconds or null). */
export function nextChangeOf(
  key: SigningKeyRecord,
  keys: readonly SigningKeyRecord[],
): { state: 'active' | 'retired' | 'removed'; at: number | null } | null {
  switch (key.state) {
    case 'next':
      return { state: 'active', at: key.activatesAt };
    case 'active': {
      const successor = keys.find((k) => k.state === 'next' && k.activatesAt !== null);
      return successor ? { state: 'retired', at: successor.activatesAt } : null;
    }
    case 'retired':
      return { state: 'removed', at: key.removeAt };
    default:
      return null;
  }
}

/** Human text for {@link nextChangeOf}. */
export function describeNextChange(
  key: SigningKeyRecord,
  keys: readonly SigningKeyRecord[],
): string {
  const change = nextChangeOf(key, keys);
  if (change === null) return '-';
  if (change.at === null) return change.state === 'active' ? 'active after "keys rotate"' : '-';
  const verb = { active: 'active', retired: 'retired', removed: 'leaves JWKS' }[change.state];
  return `${verb} at ${formatTime(change.at)}`;
}

/** A key as CLI JSON (snake_case). Public material only. */
export function keyToJson(
  key: SigningKeyRecord,
  keys: readonly SigningKeyRecord[] = [],
): Record<string, unknown> {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: key.createdAt,
    activates_at: key.activatesAt,
    activated_at: key.activatedAt,
    retired_at: key.retiredAt,
    remove_at: key.removeAt,
    revoked_at: key.revokedAt,
    next_change: nextChangeOf(key, keys),
    public_jwk: key.publicJwk,
  };
}

/** A lifecycle change as CLI JSON. */
export function changeToJson(change: KeyLifecycleChange): Record<string, unknown> {
  const kids = (keys: readonly SigningKeyRecord[]) => keys.map((k) => k.kid);
  return {
    created: change.created.map((k) => keyToJson(k)),
    scheduled: change.scheduled.map((k) => ({ kid: k.kid, activates_at: k.activatesAt })),
    activated: kids(change.activated),
    retired: change.retired.map((k) => ({ kid: k.kid, remove_at: k.removeAt })),
    revoked: kids(change.revoked),
    removed: change.removed,
    skipped: change.skipped,
  };
}

/** A lifecycle change as text lines, one per step. */
export function changeToLines(change: KeyLifecycleChange): string[] {
  const lines: string[] = [];
  for (const key of change.created) lines.push(`Created ${key.alg} key ${key.kid}.`);
  for (const key of change.scheduled) {
    lines.push(`Key ${key.kid} is published and becomes active at ${formatTime(key.activatesAt)}.`);
  }
  for (const key of change.revoked) lines.push(`Revoked key ${key.kid}: removed from the JWKS.`);
  for (const key of change.retired) {
    lines.push(
      `Retired key ${key.kid}: it no longer signs and leaves the JWKS at ${formatTime(key.removeAt)}.`,
    );
  }
  for (const key of change.activated)
    lines.push(`Key ${key.kid} is now active: it signs new tokens.`);
  for (const kid of change.removed) lines.push(`Removed retired key ${kid}.`);
  return lines;
}
