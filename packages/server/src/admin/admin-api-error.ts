import { StoreError, type StoreErrorCode } from '../store/store-error.js';

/** Stable codes of {@link AdminApiError}; ERRORS.md lists them with their wire form. */
export type AdminApiErrorCode =
  | 'ERR_ADMIN_TOKEN_MISSING'
  | 'ERR_ADMIN_TOKEN_INVALID'
  | 'ERR_ADMIN_SCOPE_INSUFFICIENT'
  | 'ERR_ADMIN_REQUEST_INVALID'
  | 'ERR_ADMIN_NOT_FOUND'
  | 'ERR_ADMIN_CONFLICT';

/** Wire form of each code: the `error` value (RFC 6750 §3.1 for token problems) and status. */
export const ADMIN_API_ERRORS: Readonly<
  Record<AdminApiErrorCode, { error: string; status: number; description: string }>
> = Object.freeze({
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
});

/** Store failures that are the caller's input, by the admin code they become. */
const STORE_CODE_MAP: Partial<Record<StoreErrorCode, AdminApiErrorCode>> = {
  INVALID_CLIENT_NAME: 'ERR_ADMIN_REQUEST_INVALID',
  INVALID_SCOPE: 'ERR_ADMIN_REQUEST_INVALID',
  INVALID_AUDIENCE: 'ERR_ADMIN_REQUEST_INVALID',
  INVALID_DURATION: 'ERR_ADMIN_REQUEST_INVALID',
  NOTHING_TO_UPDATE: 'ERR_ADMIN_REQUEST_INVALID',
  UNSUPPORTED_ALGORITHM: 'ERR_ADMIN_REQUEST_INVALID',
  CLIENT_NOT_FOUND: 'ERR_ADMIN_NOT_FOUND',
  KEY_NOT_FOUND: 'ERR_ADMIN_NOT_FOUND',
  CLIENT_NAME_TAKEN: 'ERR_ADMIN_CONFLICT',
  CLIENT_REVOKED: 'ERR_ADMIN_CONFLICT',
  KEY_REVOKED: 'ERR_ADMIN_CONFLICT',
  INVALID_KEY_STATE: 'ERR_ADMIN_CONFLICT',
  ACTIVE_KEY_EXISTS: 'ERR_ADMIN_CONFLICT',
  NO_ACTIVE_KEY: 'ERR_ADMIN_CONFLICT',
  ROTATION_PENDING: 'ERR_ADMIN_CONFLICT',
  LEASE_BUSY: 'ERR_ADMIN_CONFLICT',
};

/**
 * An admin API refusal: RFC 6749 §5.2-style JSON `{ error, error_description, code }`, where
 * `code` is this error's code or, for a refused operation, the store's (ERRORS.md). The
 * description of a refused operation is the store's message, which names the offending value
 * (the caller is an authenticated administrator) and never secret material.
 */
export class AdminApiError extends Error {
  readonly code: AdminApiErrorCode;
  readonly error: string;
  readonly status: number;
  /** The code sent as `code`: a StoreErrorCode for refused operations, else {@link code}. */
  readonly wireCode: string;

  constructor(
    code: AdminApiErrorCode,
    options: { description?: string; wireCode?: string; cause?: unknown } = {},
  ) {
    const definition = ADMIN_API_ERRORS[code];
    super(
      options.description ?? definition.description,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'AdminApiError';
    this.code = code;
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
