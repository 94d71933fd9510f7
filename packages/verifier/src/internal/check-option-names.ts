/**
 * Refuses option names that are not known: a misspelt option (`requiredScope` for
 * `requiredScopes`, `scope` for `scopes`) would otherwise be ignored and the check it was meant to
 * turn on silently skipped. Each public function that takes an options object calls this once,
 * at construction.
 *
 * @param options - the caller's options object (own enumerable names are checked).
 * @param known - every valid name.
 * @param owner - the function the options belong to, for the message (e.g. `createVerifier`).
 * @throws TypeError `Unknown option "requiredScope" of createVerifier; did you mean "requiredScopes"?`
 *   (or the list of valid names when none is close).
 */
export function checkOptionNames(options: object, known: readonly string[], owner: string): void {
  // Not an object: the caller's own type check says so.
  if (typeof options !== 'object' || options === null) return;
  if (!hasOnlyKnownNames(options, known)) throw unknownOptionError(options, known, owner);
}

/**
 * Whether every own enumerable name of `options` is known; for per-call options on the hot path
 * (no allocation).
 */
export function hasOnlyKnownNames(options: object, known: readonly string[]): boolean {
  for (const name in options) {
    if (Object.hasOwn(options, name) && !known.includes(name)) return false;
  }
  return true;
}

/**
 * The TypeError {@link checkOptionNames} throws, naming the first unknown name of `options`; for
 * callers that checked with {@link hasOnlyKnownNames} and reject rather than throw.
 */
export function unknownOptionError(
  options: object,
  known: readonly string[],
  owner: string,
): TypeError {
  const name = Object.keys(options).find((key) => !known.includes(key)) ?? '';
  const closest = closestName(name, known);
  // The name is the caller's own code, but keep the message one printable line.
  const shown = JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
  return new TypeError(
    `Unknown option ${shown} of ${owner}; ${
      closest === undefined ? `valid options are ${known.join(', ')}` : `did you mean "${closest}"?`
    }`,
  );
}

/**
 * The known name nearest to `name` (case-insensitive edit distance with transpositions), if it is
 * close enough to be a plausible misspelling: at most 2 edits, and at most a third of the name.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.min(2, Math.floor(Math.max(name.length, 3) / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Math.abs(a.length - b.length);
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(value);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}
