import type { Command } from 'commander';

/** Registers `m2m-auth serve` on the CLI program. (Stub: filled in with the HTTP server.) */
export function registerServeCommand(_program: Command): void {}
