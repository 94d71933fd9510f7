// The jose our packages run on (the root node_modules holds an older one, a peer's dependency).
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const verifierEntry = fileURLToPath(import.meta.resolve('@m2m-auth/verifier'));
const josePath = createRequire(verifierEntry).resolve('jose');

/** jose as `@m2m-auth/verifier` imports it. */
export const jose = await import(pathToFileURL(josePath).href);
