/**
 * Maps paths of a parsed YAML document back to 1-based line:column positions, so manifest errors
 * point at the offending line (JSON manifests are parsed as YAML too, and get the same positions).
 */
import { type Document, isMap, isScalar, isSeq, type LineCounter } from 'yaml';

/** A 1-based source position. */
export interface SourcePosition {
  line: number;
  col: number;
}

function startOf(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] | null } | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** The string a map key reads as (plain objects stringify keys the same way). */
export function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/**
 * Position of `path` in `doc`: of the key itself when `atKey` (e.g. an unknown name), else of the
 * value. Walks as far as the document allows and returns the deepest position found.
 */
export function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  atKey = false,
): SourcePosition {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (!pair) break;
      const keyOffset = startOf(pair.key);
      const valueOffset = startOf(pair.value);
      offset = (last && atKey ? keyOffset : (valueOffset ?? keyOffset)) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset);
}

/** A key that appears twice in the same mapping. */
export interface DuplicateKey {
  path: string[];
  position: SourcePosition;
  first: SourcePosition;
}

/** Every repeated key of every mapping in `doc` (YAML and JSON both forbid them; we name them). */
export function findDuplicateKeys(doc: Document, lineCounter: LineCounter): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const visit = (node: unknown, path: string[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = keyText(pair.key);
        const offset = startOf(pair.key) ?? 0;
        const firstOffset = seen.get(key);
        if (firstOffset === undefined) {
          seen.set(key, offset);
          visit(pair.value, [...path, key]);
        } else {
          found.push({
            path: [...path, key],
            position: lineCounter.linePos(offset),
            first: lineCounter.linePos(firstOffset),
          });
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visit(item, [...path, String(i)]);
      });
    }
  };
  visit(doc.contents, []);
  return found;
}
