/** Runs the `m2m-auth` CLI with the given arguments; resolves to the process exit code. */
export async function runCli(_argv: readonly string[]): Promise<number> {
  return 0;
}
