/** Writes command output: text lines or one JSON document, always to stdout. */
export interface Output {
  readonly json: boolean;
  /** Prints lines of text (ignored in JSON mode). */
  text(...lines: string[]): void;
  /** Prints a JSON document (only in JSON mode). */
  data(value: unknown): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    text(...lines) {
      if (!json) process.stdout.write(`${lines.join('\n')}\n`);
    },
    data(value) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

export { formatTime } from '../../internal/format-time.js';

/** Rows as aligned columns, the first row being the header. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = columnWidths(rows);
  return rows.map((row) => formatRow(row, widths));
}

/**
 * The width of each column: its longest cell, and at least `minWidths[i]` (for tables printed a
 * row at a time, whose later rows are not known yet).
 */
export function columnWidths(
  rows: readonly (readonly string[])[],
  minWidths: readonly number[] = [],
): number[] {
  const widths = [...minWidths];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return widths;
}

/** One table row, cells padded to `widths` and separated by two spaces (the last cell unpadded). */
export function formatRow(row: readonly string[], widths: readonly number[]): string {
  return row
    .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
}

/** Help text block with examples, for `addHelpText('after', …)`. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
