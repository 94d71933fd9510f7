import { InvalidArgumentError } from 'commander';

const UNIT_SEC: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Commander parser for a duration: whole seconds (`3600`) or a number with a unit `s`, `m`, `h`,
 * `d` (`10m`, `30d`); resolves to seconds.
 */
export function parseDuration(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (match === null) {
    throw new InvalidArgumentError('expected a duration such as 90, 10m, 2h or 30d');
  }
  return Number(match[1]) * (UNIT_SEC[match[2] || 's'] ?? 1);
}
