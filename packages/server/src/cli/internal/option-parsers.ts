/**
 * The option parsers of the `m2m-auth` commands, in one place. Each is a commander argument parser:
 * it returns the parsed value or throws commander's InvalidArgumentError, which commander reports
 * as a usage error naming the option (exit status 1). Range checks of stored values are the
 * store's (the client rules), so that the CLI, the manifest and the admin API agree.
 */
import { InvalidArgumentError } from 'commander';

const UNIT_SEC: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A whole number of seconds, e.g. `3600` (range checks are the store's). */
export function parseSeconds(value: string): number {
  if (!/^\d{1,12}$/.test(value.trim())) {
    throw new InvalidArgumentError('expected a whole number of seconds, e.g. 3600');
  }
  return Number(value.trim());
}

/** A list such as `a,b` or `"a b"`; an empty string gives an empty list. */
export function parseList(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}

/**
 * A duration: whole seconds (`3600`) or a number with a unit `s`, `m`, `h`, `d` (`10m`, `30d`);
 * resolves to seconds.
 */
export function parseDuration(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (match === null) {
    throw new InvalidArgumentError('expected a duration such as 90, 10m, 2h or 30d');
  }
  return Number(match[1]) * (UNIT_SEC[match[2] || 's'] ?? 1);
}

/** A polling interval in seconds, fractions allowed, from 0.1 to 3600. */
export function parseIntervalSec(value: string): number {
  const seconds = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || seconds < 0.1 || seconds > 3600) {
    throw new InvalidArgumentError('expected seconds from 0.1 to 3600');
  }
  return seconds;
}

/** A parser of a whole number from 1 to `max` (at most five digits). */
export function wholeNumberUpTo(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (!/^\d{1,5}$/.test(value.trim()) || n < 1 || n > max) {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    }
    return n;
  };
}

/** Collects a repeatable option of service names (`--rotate-secret a --rotate-secret b`). */
export function collectServiceName(value: string, previous: string[] = []): string[] {
  if (value.trim() === '') throw new InvalidArgumentError('expected a service name');
  return [...previous, value.trim()];
}

/** Collects a repeatable `<from>=<to>` option (`--name 6=ms_billing`) into a record. */
export function collectRename(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) {
    throw new InvalidArgumentError('expected <passport-id-or-name>=<new-name>, e.g. 6=ms_billing');
  }
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}
