// The `@m2m-auth/server/errors` entry: the base error, every error family with its one code table,
// and the CLI exit statuses. ERRORS.md documents each table; a test keeps both in step.
import type { AdminApiErrorCode } from './admin/admin-api-error.js';
import type { CliErrorCode } from './cli/internal/cli-error.js';
import type { AuthServerErrorCode } from './errors/auth-server-error.js';
import type { ClientAssertionErrorCode } from './grants/client-assertion-refused.js';
import type { PassportImportErrorCode } from './passport/passport-import-error.js';
import type { ProvisionErrorCode } from './provision/provision-error.js';
import type { StoreErrorCode } from './store/store-error.js';

export {
  ADMIN_API_ERRORS,
  AdminApiError,
  type AdminApiErrorCode,
  type AdminApiErrorDefinition,
} from './admin/admin-api-error.js';
export { CLI_EXIT_CODES, type CliExitCodeName } from './cli/exit-codes.js';
export { CLI_ERROR_CODES, CliError, type CliErrorCode } from './cli/internal/cli-error.js';
export {
  AUTH_SERVER_ERRORS,
  AuthServerError,
  type AuthServerErrorCode,
  type AuthServerErrorDefinition,
  type OAuthErrorValue,
} from './errors/auth-server-error.js';
export { M2mAuthError } from './errors/m2m-auth-error.js';
export {
  CLIENT_ASSERTION_ERROR_CODES,
  type ClientAssertionErrorCode,
  ClientAssertionRefused,
} from './grants/client-assertion-refused.js';
export {
  PASSPORT_IMPORT_ERROR_CODES,
  PassportImportError,
  type PassportImportErrorCode,
} from './passport/passport-import-error.js';
export {
  type ManifestProblem,
  PROVISION_ERROR_CODES,
  ProvisionError,
  type ProvisionErrorCode,
} from './provision/provision-error.js';
export { STORE_ERROR_CODES, StoreError, type StoreErrorCode } from './store/store-error.js';

/** Every stable code an error of `@m2m-auth/server` can carry; ERRORS.md lists them all. */
export type M2mAuthErrorCode =
  | AuthServerErrorCode
  | AdminApiErrorCode
  | ProvisionErrorCode
  | PassportImportErrorCode
  | StoreErrorCode
  | CliErrorCode
  | ClientAssertionErrorCode;
