/**
 * Reader for the `tokenized` dataset format (DESIGN §5): JSONL rows `{input_ids, labels?}`.
 *
 * `labels` default to `input_ids` (every token trained); -100 marks a position that is not trained.
 * Every bad row is reported with file:line and a reason; nothing is returned unless all rows are good.
 */
import { readFileSync } from 'node:fs';
import { DatasetError, type RowError } from './errors.js';

export { DatasetError, type RowError } from './errors.js';

export interface TokenizedRow {
  inputIds: number[];
  labels: number[];
  line: number; // 1-based line in the source file
}

function tokenList(value: unknown, field: string, vocabSize: number, allowIgnore: boolean): number[] | string {
  if (!Array.isArray(value)) return `"${field}" must be an array of token ids`;
  for (const id of value) {
    if (!Number.isInteger(id)) return `"${field}" holds ${JSON.stringify(id)}, not an integer token id`;
    if (allowIgnore && id === -100) continue;
    if (id < 0 || id >= vocabSize) return `"${field}" holds token id ${id}, outside the model's vocabulary of ${vocabSize}`;
  }
  return value as number[];
}

/** What a row must fit: the model's vocabulary and the longest sequence it computes exactly. */
export interface RowLimits {
  vocabSize: number;
  maxLength: number;
}

/**
 * Checks one `{input_ids, labels?}` record against the vocabulary; no length limit (the caller
 * either refuses or truncates long rows). Returns the reason when the record is bad.
 */
export function parseTokenizedRecord(raw: unknown, vocabSize: number): { inputIds: number[]; labels: number[] } | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'each row must be a JSON object';
  const r = raw as Record<string, unknown>;
  if (!('input_ids' in r)) return 'missing field "input_ids"';
  const inputIds = tokenList(r.input_ids, 'input_ids', vocabSize, false);
  if (typeof inputIds === 'string') return inputIds;
  if (inputIds.length < 2) return '"input_ids" needs at least 2 tokens (one to read, one to predict)';
  let labels = inputIds;
  if (r.labels != null) {
    const l = tokenList(r.labels, 'labels', vocabSize, true);
    if (typeof l === 'string') return l;
    if (l.length !== inputIds.length) return `"labels" has ${l.length} entries but "input_ids" has ${inputIds.length}`;
    labels = l;
  }
  return { inputIds, labels };
}

function parseRow(raw: unknown, { vocabSize, maxLength }: RowLimits): Omit<TokenizedRow, 'line'> | string {
  const row = parseTokenizedRecord(raw, vocabSize);
  if (typeof row === 'string') return row;
  if (row.inputIds.length > maxLength) return `the row has ${row.inputIds.length} tokens, more than the model's ${maxLength}-token context`;
  if (row.labels.slice(1).every((id) => id === -100)) return 'no trained token: every label after the first is -100';
  return row;
}

/** Parses JSONL text; `file` is only used in messages. Throws DatasetError listing every bad row. */
export function parseTokenizedJsonl(text: string, file: string, limits: RowLimits): TokenizedRow[] {
  const rows: TokenizedRow[] = [];
  const errors: RowError[] = [];
  const lines = text.split('\n');
  lines.forEach((lineText, i) => {
    const line = i + 1;
    if (lineText.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(lineText);
    } catch (e) {
      errors.push({ file, line, reason: `invalid JSON: ${(e as Error).message}` });
      return;
    }
    const row = parseRow(raw, limits);
    if (typeof row === 'string') errors.push({ file, line, reason: row });
    else rows.push({ ...row, line });
  });
  if (errors.length > 0) throw new DatasetError(errors);
  if (rows.length === 0) throw new DatasetError([{ file, line: 1, reason: 'the file holds no rows' }]);
  return rows;
}

export function readTokenizedJsonl(file: string, limits: RowLimits): TokenizedRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DatasetError([{ file, line: 0, reason: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})` }]);
  }
  return parseTokenizedJsonl(text, file, limits);
}
