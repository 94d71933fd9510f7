// The `@m2m-auth/server/passport` entry: adopt the machine clients of a Laravel Passport database
// (ids and secrets, bcrypt/argon2id hashes included), as `m2m-auth import passport` does.

export {
  type ImportedSecretKind,
  importPassportClients,
  type PassportImportEntry,
  type PassportImportOptions,
  type PassportImportReport,
} from './passport/import-passport-clients.js';
export {
  type PassportClientRow,
  type PassportClients,
  type PassportVersion,
  readPassportClients,
} from './passport/read-passport-clients.js';
