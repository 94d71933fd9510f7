import { InvalidArgumentError } from 'commander';

/** Commander parser for a whole number of seconds (range checks are the store's). */
export function parseSeconds(value: string): number {
  if (!/^\d{1,12}$/.test(value.trim())) {
    throw new InvalidArgumentError('expected a whole number of seconds, e.g. 3600');
  }
  return Number(value.trim());
}

/** Commander parser for a list such as `a,b` or `"a b"`; an empty string gives an empty list. */
export function parseList(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}
