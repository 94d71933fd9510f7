import { M2mAuthError } from '../errors/m2m-auth-error.js';
import { StoreError, type StoreErrorCode } from '../store/store-error.js';

/** Wire form of one admin API code. */
export interface AdminApiErrorDefinition {
  /** `error` value sent (RFC 6750 §3.1 for token problems). */
  readonly error: string;
  /** HTTP status sent. */
  readonly status: number;
  /** Default `error_description`. */
  readonly description: string;
}

// The one table of the admin API codes: the code union is derived from its keys.
const ADMIN_API_ERROR_TABLE = {
  ERR_ADMIN_TOKEN_MISSING: {
    error: 'unauthorized',
    status: 401,
    description: 'Send an access token for the audience m2m-auth-admin as a Bearer token.',
  },
  ERR_ADMIN_TOKEN_INVALID: {
    error: 'invalid_token',
    status: 401,
    description:
      'The access token is invalid, expired, not for m2m-auth-admin, or its client is revoked.',
  },
  ERR_ADMIN_SCOPE_INSUFFICIENT: {
    error: 'insufficient_scope',
    status: 403,
    description: 'The access token lacks the scope this operation requires.',
  },
  ERR_ADMIN_REQUEST_INVALID: {
    error: 'invalid_request',
    status: 400,
    description: 'The request is not valid.',
  },
  ERR_ADMIN_NOT_FOUND: {
    error: 'not_found',
    status: 404,
    description: 'No such client or key.',
  },
  ERR_ADMIN_CONFLICT: {
    error: 'conflict',
    status: 409,
    description: 'The request conflicts with the current state.',
  },
} satisfies Record<`ERR_${string}`, AdminApiErrorDefinition>;

/** Stable codes of {@link AdminApiError}; ERRORS.md lists them with their wire form. */
export type AdminApiErrorCode = keyof typeof ADMIN_API_ERROR_TABLE;

/** Wire form of each code: the `error` value (RFC 6750 §3.1 for token problems) and status. */
export const ADMIN_API_ERRORS: Readonly<Record<AdminApiErrorCode, AdminApiErrorDefinition>> =
  Object.freeze(ADMIN_API_ERROR_TABLE);

/** Store failures that are the caller's input, by the admin code they become. */
const STORE_CODE_MAP: Partial<Record<StoreErrorCode, AdminApiErrorCode>> = {
  ERR_INVALID_CLIENT_NAME: 'ERR_ADMIN_REQUEST_INVALID',
  ERR_INVALID_SCOPE: 'ERR_ADMIN_REQUEST_INVALID',
  ERR_INVALID_AUDIENCE: 'ERR_ADMIN_REQUEST_INVALID',
  ERR_INVALID_DURATION: 'ERR_ADMIN_REQUEST_INVALID',
  ERR_NOTHING_TO_UPDATE: 'ERR_ADMIN_REQUEST_INVALID',
  ERR_UNSUPPORTED_ALGORITHM: 'ERR_ADMIN_REQUEST_INVALID',
  ERR_CLIENT_NOT_FOUND: 'ERR_ADMIN_NOT_FOUND',
  ERR_KEY_NOT_FOUND: 'ERR_ADMIN_NOT_FOUND',
  ERR_CLIENT_NAME_TAKEN: 'ERR_ADMIN_CONFLICT',
  ERR_CLIENT_REVOKED: 'ERR_ADMIN_CONFLICT',
  ERR_KEY_REVOKED: 'ERR_ADMIN_CONFLICT',
  ERR_INVALID_KEY_STATE: 'ERR_ADMIN_CONFLICT',
  ERR_ACTIVE_KEY_EXISTS: 'ERR_ADMIN_CONFLICT',
  ERR_NO_ACTIVE_KEY: 'ERR_ADMIN_CONFLICT',
  ERR_ROTATION_PENDING: 'ERR_ADMIN_CONFLICT',
  ERR_LEASE_BUSY: 'ERR_ADMIN_CONFLICT',
};

/**
 * An admin API refusal: RFC 6749 §5.2-style JSON `{ error, error_description, code }`, where
 * `code` is this error's code or, for a refused operation, the store's (ERRORS.md). The
 * description of a refused operation is the store's message, which names the offending value
 * (the caller is an authenticated administrator) and never secret material.
 */
export class AdminApiError extends M2mAuthError<AdminApiErrorCode> {
  readonly error: string;
  readonly status: number;
  /** The code sent as `code`: a StoreErrorCode for refused operations, else {@link code}. */
  readonly wireCode: string;

  constructor(
    code: AdminApiErrorCode,
    options: { description?: string; wireCode?: string; cause?: unknown } = {},
  ) {
    const definition = ADMIN_API_ERRORS[code];
    super(code, options.description ?? definition.description, options);
    this.name = 'AdminApiError';
    this.error = definition.error;
    this.status = definition.status;
    this.wireCode = options.wireCode ?? code;
  }

  /** The JSON body. */
  toJSON(): { error: string; error_description: string; code: string } {
    return { error: this.error, error_description: this.message, code: this.wireCode };
  }

  /** The admin error for a store refusal caused by the request, or undefined for other failures. */
  static fromStoreError(err: unknown): AdminApiError | undefined {
    if (!(err instanceof StoreError)) return undefined;
    const code = STORE_CODE_MAP[err.code];
    if (code === undefined) return undefined;
    return new AdminApiError(code, { description: err.message, wireCode: err.code, cause: err });
  }
}
