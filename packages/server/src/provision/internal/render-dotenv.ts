/**
 * The small subset of the `.env` format provisioning writes and reads back: `KEY=value` lines and
 * `#` comments. Values that need it are double-quoted with `\\`, `"` and newlines escaped, which
 * `node --env-file`, `process.loadEnvFile` and the dotenv package all read.
 */

/** A `.env` line: a variable, or a comment (without its `#`). */
export type DotenvLine = { key: string; value: string } | { comment: string };

const PLAIN_VALUE = /^[A-Za-z0-9_.:/@%+=,~-]*$/;

function quote(value: string): string {
  if (PLAIN_VALUE.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Renders lines as a `.env` file (LF line ends, trailing newline). */
export function renderDotenv(lines: readonly DotenvLine[]): string {
  return lines
    .map((line) =>
      'comment' in line ? `# ${line.comment}`.trimEnd() : `${line.key}=${quote(line.value)}`,
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** Reads the variables of a `.env` file written by {@link renderDotenv} (or edited by hand, simply). */
export function parseDotenv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1]!;
    let value = match[2]!;
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    } else if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) {
      value = value.slice(1, -1);
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    vars.set(key, value);
  }
  return vars;
}
