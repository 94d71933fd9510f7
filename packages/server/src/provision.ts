// The `@m2m-auth/server/provision` entry: provision every service of a manifest (clients, keys,
// `.env` files) in one idempotent run, as `m2m-auth provision` does.

export type { ClientFieldChange, UnlistedClient } from './provision/compute-provision-plan.js';
export { formatProvisionReport } from './provision/format-provision-report.js';
export { type Manifest, type ManifestService, parseManifest } from './provision/parse-manifest.js';
export {
  type ProvisionOptions,
  type ProvisionReport,
  provisionServices,
  type ReportedClient,
  type SecretOutcome,
} from './provision/provision-services.js';
export { readManifest } from './provision/read-manifest.js';
export { PUBLIC_KEY_FILE_NAME, type ReportedFile } from './provision/write-env-files.js';
export type { LeaseOptions, LeaseStore } from './store/lease-store.js';
