import { M2mAuthError } from '../errors/m2m-auth-error.js';

/**
 * Codes of {@link ClientAssertionRefused}, in the order ERRORS.md lists them. One code: the reason
 * is in the message. The token endpoint never sends it; it answers `ERR_CLIENT_AUTH_FAILED`.
 */
export const CLIENT_ASSERTION_ERROR_CODES = ['ERR_CLIENT_ASSERTION_REFUSED'] as const;

/** A stable code of {@link ClientAssertionRefused}; see {@link CLIENT_ASSERTION_ERROR_CODES}. */
export type ClientAssertionErrorCode = (typeof CLIENT_ASSERTION_ERROR_CODES)[number];

/**
 * A refused client assertion (`private_key_jwt`, RFC 7523 §2.2, or a trusted issuer's token) or a
 * malformed compact JWS (RFC 7515 §7.1). `message` is a fixed reason, safe for the audit log: it
 * never holds input. Thrown by `verifyClientAssertion` and by a grant context's `verifyAssertion`;
 * the grant turns it into `ERR_CLIENT_AUTH_FAILED` (401 `invalid_client`).
 */
export class ClientAssertionRefused extends M2mAuthError<ClientAssertionErrorCode> {
  /** @param reason - fixed, input-free reason for the audit log. */
  constructor(reason: string) {
    super('ERR_CLIENT_ASSERTION_REFUSED', reason);
    this.name = 'ClientAssertionRefused';
  }
}
