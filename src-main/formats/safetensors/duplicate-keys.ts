/**
 * Finds a duplicated object key in JSON text.
 *
 * `JSON.parse` silently keeps the last of two equal keys, so a header naming one tensor twice
 * would load with one of them quietly dropped. The spec forbids duplicate keys; this linear scan
 * runs on text that `JSON.parse` has already accepted, so it only has to track strings, nesting
 * and which strings are keys.
 */

export interface DuplicateKey {
  key: string;
  /** 1 for keys of the top-level object (tensor names), 2 for keys inside those, ... */
  depth: number;
}

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;

/** First duplicated key in document order, or null. `text` must be valid JSON. */
export function findDuplicateKey(text: string): DuplicateKey | null {
  // One frame per open container: a key set for objects, null for arrays.
  const frames: (Set<string> | null)[] = [];
  let expectKey = false;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      let escaped = false;
      for (; j < len; j++) {
        const d = text.charCodeAt(j);
        if (d === BACKSLASH) {
          escaped = true;
          j++; // skip the escaped character
        } else if (d === QUOTE) break;
      }
      const top = frames.length > 0 ? frames[frames.length - 1] : null;
      if (expectKey && top !== null) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.has(key)) return { key, depth: frames.length };
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === OPEN_OBJ) {
      frames.push(new Set());
      expectKey = true;
    } else if (c === OPEN_ARR) {
      frames.push(null);
      expectKey = false;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      frames.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = frames.length > 0 && frames[frames.length - 1] !== null;
    }
  }
  return null;
}
