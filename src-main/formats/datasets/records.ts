/**
 * A dataset file to raw rows: reads the bytes (or takes them, for an upload), decodes them as UTF-8
 * (text-encoding.ts), picks the container (JSONL, JSON array or CSV) from the extension and the
 * first character, and parses it.
 * Rows that cannot be parsed come back as errors beside the good rows, so the caller can report
 * every bad row at once; problems with the whole file (unreadable, empty, not UTF-8) throw.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseCsv } from './csv.js';
import { DatasetError, type RowError } from './errors.js';
import { parseJsonArray, parseJsonl, type RawRecord } from './json-rows.js';
import { decodeUtf8 } from './text-encoding.js';

export type Container = 'jsonl' | 'json' | 'csv';

export interface ReadRecords {
  container: Container;
  records: RawRecord[];
  errors: RowError[];
}

/**
 * `.csv` is always CSV (a header may start with any character). Otherwise the content decides:
 * "[" is a JSON array, "{" is JSONL (also in a `.json` file, where one object per line is common),
 * and anything else is CSV unless the extension says JSON.
 */
export function detectContainer(file: string, text: string): Container {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  const first = /\S/.exec(text)?.[0];
  if (first === '[') return 'json';
  if (first === '{' || ext === '.jsonl' || ext === '.json') return 'jsonl';
  return 'csv';
}

export function parseRecords(text: string, file: string, container: Container = detectContainer(file, text)): ReadRecords {
  if (text.trim() === '') throw new DatasetError([{ file, line: 1, reason: 'the file is empty' }]);
  if (container === 'csv') return { container, ...parseCsv(text, file) };
  if (container === 'json') {
    const parsed = parseJsonArray(text, file);
    if (parsed.records.length === 0 && parsed.errors.length === 0) throw new DatasetError([{ file, line: 1, reason: 'the JSON array is empty' }]);
    return { container, ...parsed };
  }
  const parsed = parseJsonl(text, file);
  if (parsed.errors.length > 1) {
    const whole = singleObjectReason(text);
    if (whole !== null) throw new DatasetError([{ file, line: 1, reason: whole }]);
  }
  return { container, ...parsed };
}

/** Reads and parses `file`; throws DatasetError for an unreadable, empty or non-UTF-8 file. */
export function readRecords(file: string): ReadRecords {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'this is a folder, not a file' : `cannot read the file (${code ?? String(e)})`;
    throw new DatasetError([{ file, line: 0, reason: why }]);
  }
  return decodeRecords(bytes, file);
}

/**
 * Parses a file's bytes (read from disk, or uploaded); `file` names it in errors and its extension
 * picks the container. Throws DatasetError for empty or non-UTF-8 bytes.
 */
export function decodeRecords(bytes: Uint8Array, file: string): ReadRecords {
  if (bytes.length === 0) throw new DatasetError([{ file, line: 1, reason: 'the file is empty' }]);
  return parseRecords(decodeUtf8(bytes, file), file);
}

/**
 * A pretty-printed single JSON object fails line by line as JSONL; say what it is instead, and
 * where the rows probably are ({"data": [...]} is a common export shape).
 */
function singleObjectReason(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const arrays = Object.entries(value).filter(([, v]) => Array.isArray(v));
  const hint = arrays.length === 1 ? `; the rows seem to be in "${arrays[0][0]}": save that array on its own` : '';
  return `the file holds one JSON object, not rows: use a JSON array of rows or one JSON object per line (JSONL)${hint}`;
}
