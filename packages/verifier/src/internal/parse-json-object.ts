import { VerifierError } from '../errors.js';

// fatal: invalid UTF-8 is an error, not U+FFFD. ignoreBOM: a leading BOM is kept, so JSON.parse
// rejects it instead of TextDecoder silently dropping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses a JWS header or JWT claims set: strict UTF-8, a JSON object (RFC 7515 §4, RFC 7519 §7.2),
 * and no duplicate member names at any depth. JSON.parse keeps the last of duplicate members,
 * other parsers the first; RFC 7515 §5.2 lets a recipient reject them, and we do so that no two
 * readers of a token can see different claims.
 *
 * @param bytes - the decoded segment.
 * @param part - `"header"` or `"claims"`, for the message.
 * @throws VerifierError `ERR_TOKEN_MALFORMED`.
 */
export function parseJsonObject(bytes: Uint8Array, part: string): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new VerifierError('ERR_TOKEN_MALFORMED', `token ${part} is not valid UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VerifierError('ERR_TOKEN_MALFORMED', `token ${part} is not a JSON object`);
  }
  if (hasDuplicateMember(text)) {
    throw new VerifierError('ERR_TOKEN_MALFORMED', `token ${part} has duplicate member names`);
  }
  return value as Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Names kept in an array (compared one by one) up to this many per object, then in a Set. */
const SMALL_OBJECT = 16;

/**
 * Whether a text that JSON.parse accepted has an object with two members of the same name
 * (after unescaping: `"a"` and `"\u0061"` are the same name). The text is valid JSON, so this
 * scanner only tracks strings, nesting and whether the next string is a member name. Strings are
 * skipped with `indexOf` (native) rather than character by character: most of a token's JSON is
 * inside strings (URLs, ids), and a JavaScript loop over them cost about 1 µs per claims set.
 */
export function hasDuplicateMember(text: string): boolean {
  // One entry per open container: the names seen so far for objects, null for arrays.
  const stack: (string[] | Set<string> | null)[] = [];
  let expectName = false;
  const length = text.length;
  // Where the next backslash is (-1: none further): a string without one needs no unescaping and
  // ends at the next quote.
  let nextBackslash = text.indexOf('\\');
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const start = i;
      if (nextBackslash !== -1 && nextBackslash <= start) {
        nextBackslash = text.indexOf('\\', start + 1);
      }
      let end = text.indexOf('"', start + 1);
      const escaped = nextBackslash !== -1 && nextBackslash < end;
      if (escaped) {
        for (end = start + 1; end < length; end++) {
          const c = text.charCodeAt(end);
          if (c === BACKSLASH) end++;
          else if (c === QUOTE) break;
        }
      }
      i = end;
      if (expectName) {
        const names = stack[stack.length - 1];
        const name = escaped
          ? (JSON.parse(text.slice(start, end + 1)) as string)
          : text.slice(start + 1, end);
        if (names instanceof Set) {
          if (names.has(name)) return true;
          names.add(name);
        } else if (names) {
          if (names.includes(name)) return true;
          names.push(name);
          if (names.length > SMALL_OBJECT) stack[stack.length - 1] = new Set(names);
        }
        expectName = false;
      }
    } else if (code === 0x7b /* { */) {
      stack.push([]);
      expectName = true;
    } else if (code === 0x5b /* [ */) {
      stack.push(null);
      expectName = false;
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      stack.pop();
      expectName = false;
    } else if (code === 0x2c /* , */) {
      expectName = stack[stack.length - 1] != null;
    }
  }
  return false;
}
