/**
 * The public entry point of the dataset readers: a file to encoded, labelled rows.
 *
 * read (records.ts: encoding, container) -> format (formats.ts: detected, or the mapping's) ->
 * each row checked and encoded (encode.ts) -> cut to the maximum length. Every bad row of the
 * file is collected on the way and thrown together as one DatasetError, so the user fixes the file
 * once; nothing is returned unless every row is good.
 *
 * A file on disk and an uploaded file's bytes (the app's drag and drop) go through the same steps;
 * for bytes, the file name is only a display name whose extension picks the container.
 */
import type { Tokenizer } from '../tokenizer/types.js';
import { encodeExample, type EncodedRow } from './encode.js';
import { DatasetError, type RowError } from './errors.js';
import { checkMapping, readExample, voteFormat, type ColumnMapping, type DatasetFormat } from './formats.js';
import { decodeRecords, readRecords, type ReadRecords } from './records.js';

export interface LoadedDataset {
  file: string;
  format: DatasetFormat;
  rows: EncodedRow[];
  /** Rows cut to `maxLength` tokens. */
  truncated: number;
}

export interface LoadOptions {
  /** Longest sequence to train on, in tokens; longer rows are cut. */
  maxLength: number;
  /** The model's vocabulary: every id must be below it. */
  vocabSize: number;
  /** Forces the format and names the file's columns; without it the format is detected. */
  mapping?: ColumnMapping;
}

export interface ReadDataset {
  /** Null when no row says what it is. */
  format: DatasetFormat | null;
  rows: EncodedRow[];
  errors: RowError[];
}

/** Reads, checks and encodes `file`. `tokenizer` may be null only for tokenized rows. Throws DatasetError. */
export function loadDataset(file: string, tokenizer: Tokenizer | null, opts: LoadOptions): LoadedDataset {
  return allGood(file, readDataset(file, tokenizer, opts));
}

/** loadDataset for a file's bytes; `fileName` names it in errors and its extension picks the container. */
export function loadDatasetBytes(fileName: string, bytes: Uint8Array, tokenizer: Tokenizer | null, opts: LoadOptions): LoadedDataset {
  return allGood(fileName, readDatasetBytes(fileName, bytes, tokenizer, opts));
}

function allGood(file: string, { rows, errors, format }: ReadDataset): LoadedDataset {
  if (errors.length > 0) throw new DatasetError(errors);
  if (rows.length === 0 || format === null) throw new DatasetError([{ file, line: 1, reason: 'the file holds no rows' }]);
  return { file, format, rows, truncated: rows.filter((r) => r.truncated).length };
}

/**
 * The good rows and every bad row's reason, side by side (for a preview, which shows both); the
 * format is null when no row says what it is. Throws DatasetError only for what concerns the whole
 * file (unreadable, a bad mapping, preference data, no tokenizer).
 */
export function readDataset(file: string, tokenizer: Tokenizer | null, opts: LoadOptions): ReadDataset {
  return readDatasetFrom(file, () => readRecords(file), tokenizer, opts);
}

/** readDataset for a file's bytes; `fileName` names it in errors and its extension picks the container. */
export function readDatasetBytes(fileName: string, bytes: Uint8Array, tokenizer: Tokenizer | null, opts: LoadOptions): ReadDataset {
  return readDatasetFrom(fileName, () => decodeRecords(bytes, fileName), tokenizer, opts);
}

/**
 * readDataset on records from `read` (records.ts), which runs once the options are checked; for a
 * caller that already holds the parsed records (a preview also lists their columns).
 */
export function readDatasetFrom(file: string, read: () => ReadRecords, tokenizer: Tokenizer | null, opts: LoadOptions): ReadDataset {
  if (!(Number.isInteger(opts.maxLength) && opts.maxLength >= 2)) throw new RangeError(`maxLength must be an integer of 2 or more, got ${opts.maxLength}`);
  const fileError = (reason: string): DatasetError => new DatasetError([{ file, line: 0, reason }]);
  if (opts.mapping !== undefined) {
    const bad = checkMapping(opts.mapping);
    if (bad !== null) throw fileError(bad);
  }
  // Copied: the rows' errors are added to below, and the caller may keep its records.
  const { records, errors: parseErrors } = read();
  const errors = [...parseErrors];
  let format: DatasetFormat | null;
  if (opts.mapping !== undefined) format = opts.mapping.format;
  else {
    const vote = voteFormat(records, file);
    format = vote.format;
    errors.push(...vote.errors);
  }
  if (format === 'preference') {
    throw fileError(
      'this is a preference dataset (prompt, chosen, rejected), which is for DPO training, and HFT Studio does not support DPO yet; ' +
        'use prompt/completion rows instead (for example the chosen answer as the completion)',
    );
  }
  if (format !== null && format !== 'tokenized' && tokenizer === null) throw fileError(`reading ${format} rows needs the model's tokenizer`);
  const rows: EncodedRow[] = [];
  if (format !== null) {
    const columns = opts.mapping?.columns ?? {};
    const limits = { maxLength: opts.maxLength, vocabSize: opts.vocabSize };
    // A row already reported (wrong format) is not checked again.
    const reported = new Set(errors.map((e) => e.line));
    for (const rec of records) {
      if (reported.has(rec.line)) continue;
      const ex = readExample(rec.value, format, columns, opts.vocabSize);
      const row = typeof ex === 'string' ? ex : encodeExample(ex, tokenizer, rec.line, limits);
      if (typeof row === 'string') errors.push({ file, line: rec.line, reason: row });
      else rows.push(row);
    }
  }
  return { format, rows, errors: sortByLine(errors) };
}

function sortByLine(errors: RowError[]): RowError[] {
  return errors.map((e, k) => ({ e, k })).sort((a, b) => a.e.line - b.e.line || a.k - b.k).map(({ e }) => e);
}
