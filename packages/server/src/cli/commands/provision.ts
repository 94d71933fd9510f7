import type { Command } from 'commander';

/** Registers `m2m-auth provision` on the CLI program. (Stub: filled in by the provisioning work.) */
export function registerProvisionCommand(_program: Command): void {}
