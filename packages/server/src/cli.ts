// The `@m2m-auth/server/cli` entry: run the `m2m-auth` command line in process.

export { CLI_EXIT_CODES, type CliExitCodeName } from './cli/exit-codes.js';
export { runCli } from './cli/main.js';
