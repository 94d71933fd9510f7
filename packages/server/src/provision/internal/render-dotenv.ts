/**
 * Writes the `.env` files provisioning produces: `KEY=value` lines and `#` comments, quoted so that
 * `node:util` `parseEnv` (and so `node --env-file`, `process.loadEnvFile`), which reads them back,
 * gets every value exactly.
 */

/** A `.env` line: a variable, or a comment (without its `#`). */
export type DotenvLine = { key: string; value: string } | { comment: string };

const PLAIN_VALUE = /^[A-Za-z0-9_.:/@%+=,~-]*$/;

/**
 * A value as `parseEnv` reads it back: bare when plain; double-quoted (newlines as `\n`) when it
 * holds no `"` nor `\` (inside double quotes `parseEnv` turns `\n` into a newline and unescapes
 * nothing else); else in single quotes or backticks, which `parseEnv` takes literally.
 *
 * @throws {TypeError} for a value holding `'`, `` ` `` and `"` or `\` at once, which no quoting
 *   of the format represents.
 */
function quote(key: string, value: string): string {
  if (PLAIN_VALUE.test(value)) return value;
  if (!value.includes('"') && !value.includes('\\')) return `"${value.replace(/\n/g, '\\n')}"`;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('`')) return `\`${value}\``;
  throw new TypeError(`${key}: a .env value cannot hold ', \` and " or \\ together`);
}

/** Renders lines as a `.env` file (LF line ends, trailing newline). */
export function renderDotenv(lines: readonly DotenvLine[]): string {
  return lines
    .map((line) =>
      'comment' in line
        ? `# ${line.comment}`.trimEnd()
        : `${line.key}=${quote(line.key, line.value)}`,
    )
    .map((line) => `${line}\n`)
    .join('');
}
