/**
 * Bytes of a dataset file to text: UTF-8 only. A UTF-8 byte-order mark is dropped; UTF-16 (a BOM,
 * or NUL bytes, which UTF-16 text is full of and real text never holds) and invalid UTF-8 are
 * refused with the line of the first bad byte and the fix, because a silently mis-decoded file
 * would train on garbage.
 */
import { DatasetError } from './errors.js';

const FIX = 'save the file as UTF-8';

export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const fail = (offset: number, what: string): never => {
    throw new DatasetError([{ file, line: lineAt(bytes, offset), reason: `${what}; ${FIX}` }]);
  };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    fail(0, 'the file is UTF-16 text (it starts with a UTF-16 byte-order mark)');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) fail(nul, 'the file holds NUL bytes, so it is probably UTF-16 text or not text at all');
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    // The native decoder is fast; the byte scan only runs to say where a bad file goes wrong.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start));
  } catch {
    const bad = firstInvalidUtf8(bytes, start);
    if (bad < 0) return fail(start, 'invalid UTF-8');
    return fail(bad, `invalid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad})`);
  }
}

/** 1-based line holding byte `offset`. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence
 * (Unicode §3.9 table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or -1.
 */
export function firstInvalidUtf8(b: Uint8Array, from = 0): number {
  let i = from;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number; // continuation bytes
    let lo = 0x80; // allowed range of the first continuation byte
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}
