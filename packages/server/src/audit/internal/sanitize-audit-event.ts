import type { AuditEvent } from '../audit-event.js';

/** Control characters (Cc) and unpaired UTF-16 surrogates (Cs). */
const UNSTORABLE = /[\p{Cc}\p{Cs}]/gu;

/**
 * `value` with each control character or unpaired surrogate written as a `\uXXXX` escape: what a
 * text column of every database can hold (PostgreSQL refuses NUL in text), and what a terminal
 * showing `audit tail` cannot mistake for a control sequence. Other text is left as it is.
 */
export function sanitizeAuditText(value: string): string {
  UNSTORABLE.lastIndex = 0;
  if (!UNSTORABLE.test(value)) return value;
  return value.replace(
    UNSTORABLE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function text(value: string | null): string | null {
  return value === null ? null : sanitizeAuditText(value);
}

/** The event with every text field (and each scope) passed through {@link sanitizeAuditText}. */
export function sanitizeAuditEvent(event: AuditEvent): AuditEvent {
  return {
    ...event,
    clientId: text(event.clientId),
    audience: text(event.audience),
    scopes: event.scopes === null ? null : event.scopes.map(sanitizeAuditText),
    jti: text(event.jti),
    sourceAddress: text(event.sourceAddress),
    reason: text(event.reason),
    detail: text(event.detail),
  };
}
