/**
 * The dataset formats of DESIGN §5, told apart by the fields of the rows, and each row checked and
 * turned into an Example: what the encoder needs, with the file's column names mapped away.
 *
 * Detection looks at one or two telling fields per format (not all of them), so a row that has
 * `instruction` but lost its `output` is reported as an alpaca row missing "output", not as a row
 * of no known format. All rows must agree; the format of most rows wins and the others are
 * reported. A ColumnMapping skips detection and names the file's column for each of our fields.
 */
import type { ChatMessage, ChatRole } from '../tokenizer/types.js';
import { DatasetError, type RowError } from './errors.js';
import { FORMAT_FIELDS, type DatasetFormat } from './format-fields.js';
import type { RawRecord } from './json-rows.js';
import { parseTokenizedRecord } from './tokenized.js';

export { FORMAT_FIELDS, type DatasetFormat };

/** Our field names (FORMAT_FIELDS) to the file's column names, e.g. {prompt: 'question'}. */
export interface ColumnMapping {
  format: DatasetFormat;
  columns?: Partial<Record<string, string>>;
}

export type Example =
  | { kind: 'chat'; messages: ChatMessage[] }
  /** alpaca and prompt/completion: `prompt` as plain text, `user` as the chat's user turn. */
  | { kind: 'pair'; prompt: string; user: string; completion: string }
  | { kind: 'text'; text: string }
  | { kind: 'tokens'; inputIds: number[]; labels: number[] };

const has = (r: object, k: string): boolean => Object.prototype.hasOwnProperty.call(r, k);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The format a single row looks like, or null. */
export function detectRowFormat(value: unknown): DatasetFormat | null {
  if (!isRecord(value)) return null;
  if (has(value, 'input_ids')) return 'tokenized';
  if (has(value, 'messages') || has(value, 'conversations')) return 'messages';
  if (has(value, 'chosen') || has(value, 'rejected')) return 'preference';
  if (has(value, 'instruction') || has(value, 'output')) return 'alpaca';
  if (has(value, 'prompt') || has(value, 'completion')) return 'prompt-completion';
  if (has(value, 'text')) return 'text';
  return null;
}

const EXPECTED =
  'expected instruction/output (alpaca), messages or conversations (chat), prompt/completion, text, ' +
  'prompt/chosen/rejected (preference) or input_ids (tokenized); a column mapping can name other columns';

/** The format most rows have, and an error for every row that has another or none. */
export function voteFormat(records: readonly RawRecord[], file: string): { format: DatasetFormat | null; errors: RowError[] } {
  const seen = records.map((r) => detectRowFormat(r.value));
  const counts = new Map<DatasetFormat, number>();
  for (const f of seen) if (f !== null) counts.set(f, (counts.get(f) ?? 0) + 1);
  // Most rows win; a tie goes to the format of the earliest row.
  let format: DatasetFormat | null = null;
  for (const f of seen) if (f !== null && (format === null || counts.get(f)! > counts.get(format)!)) format = f;
  const errors: RowError[] = [];
  records.forEach((r, k) => {
    const f = seen[k];
    if (!isRecord(r.value)) errors.push({ file, line: r.line, reason: 'each row must be a JSON object' });
    else if (f === null) errors.push({ file, line: r.line, reason: `no known fields (found ${fieldList(r.value)}); ${EXPECTED}` });
    else if (f !== format) errors.push({ file, line: r.line, reason: `this row looks like ${f} but the other rows are ${format}` });
  });
  return { format, errors };
}

/** The format of a file's rows; throws DatasetError naming every row that disagrees. */
export function detectFormat(records: readonly RawRecord[], file: string): DatasetFormat {
  if (records.length === 0) throw new DatasetError([{ file, line: 1, reason: 'the file holds no rows' }]);
  const { format, errors } = voteFormat(records, file);
  if (errors.length > 0 || format === null) throw new DatasetError(errors);
  return format;
}

function fieldList(r: Record<string, unknown>): string {
  const keys = Object.keys(r);
  if (keys.length === 0) return 'no fields';
  const shown = keys.slice(0, 8).map((k) => JSON.stringify(k)).join(', ');
  return keys.length > 8 ? `${shown}, ...` : shown;
}

/** Problems with a mapping itself (not with rows): an unknown field, or a column that is not a string. */
export function checkMapping(mapping: ColumnMapping): string | null {
  const fields = FORMAT_FIELDS[mapping.format];
  if (fields === undefined) return `unknown dataset format "${mapping.format}"; the formats are ${Object.keys(FORMAT_FIELDS).join(', ')}`;
  for (const [ours, theirs] of Object.entries(mapping.columns ?? {})) {
    if (!fields.includes(ours)) return `the column mapping names "${ours}", which is not a field of ${mapping.format} (its fields are ${fields.join(', ')})`;
    if (typeof theirs !== 'string' || theirs === '') return `the column mapping for "${ours}" must be a column name`;
  }
  return null;
}

const ROLES: Readonly<Record<string, ChatRole>> = { system: 'system', user: 'user', assistant: 'assistant', tool: 'tool', human: 'user', gpt: 'assistant' };
const ROLE_LIST = 'system, user, assistant, tool (or ShareGPT\'s human, gpt, system)';

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Checks one row of a known format and returns its Example, or the reason it is bad.
 * `columns` maps our field names to the file's; absent entries mean the same name.
 */
export function readExample(value: unknown, format: DatasetFormat, columns: Partial<Record<string, string>>, vocabSize: number): Example | string {
  if (!isRecord(value)) return 'each row must be a JSON object';
  const col = (ours: string): string => columns[ours] ?? ours;
  const label = (ours: string): string => (columns[ours] !== undefined && columns[ours] !== ours ? `"${columns[ours]}" (mapped to ${ours})` : `"${ours}"`);
  /** A string field; optional ones may be absent or null. */
  const str = (ours: string, optional = false): string | { error: string } => {
    const key = col(ours);
    const v = has(value, key) ? value[key] : undefined;
    if (v === undefined || (v === null && optional)) return optional ? '' : { error: `missing field ${label(ours)}` };
    if (typeof v !== 'string') return { error: `${label(ours)} must be a string, not ${typeName(v)}` };
    return v;
  };
  const answer = (ours: string): string | { error: string } => {
    const v = str(ours);
    return typeof v === 'string' && v.trim() === '' ? { error: `empty answer: ${label(ours)} is empty` } : v;
  };

  switch (format) {
    case 'alpaca': {
      const instruction = str('instruction');
      const input = str('input', true);
      const output = answer('output');
      for (const v of [instruction, input, output]) if (typeof v !== 'string') return v.error;
      const user = (input as string).trim() === '' ? (instruction as string) : `${instruction as string}\n\n${input as string}`;
      return { kind: 'pair', prompt: `${user}\n\n`, user, completion: output as string };
    }
    case 'prompt-completion': {
      const prompt = str('prompt');
      const completion = answer('completion');
      for (const v of [prompt, completion]) if (typeof v !== 'string') return v.error;
      return { kind: 'pair', prompt: prompt as string, user: prompt as string, completion: completion as string };
    }
    case 'text': {
      const text = str('text');
      if (typeof text !== 'string') return text.error;
      return text.trim() === '' ? `empty text: ${label('text')} is empty` : { kind: 'text', text };
    }
    case 'messages':
      return readMessages(value, columns);
    case 'tokenized': {
      if (!has(value, col('input_ids'))) return `missing field ${label('input_ids')}`;
      const labels = has(value, col('labels')) ? value[col('labels')] : undefined;
      const r = parseTokenizedRecord({ input_ids: value[col('input_ids')], labels }, vocabSize);
      if (typeof r === 'string') return r;
      return { kind: 'tokens', ...r };
    }
    case 'preference':
      return 'preference rows (prompt, chosen, rejected) are for DPO, which HFT Studio does not support yet';
  }
}

function readMessages(value: Record<string, unknown>, columns: Partial<Record<string, string>>): Example | string {
  const listKey = columns.messages ?? (has(value, 'messages') ? 'messages' : has(value, 'conversations') ? 'conversations' : null);
  if (listKey === null || !has(value, listKey)) return `missing field "${listKey ?? 'messages'}"`;
  const list = value[listKey];
  if (!Array.isArray(list)) return `"${listKey}" must be an array of {role, content} messages, not ${typeName(list)}`;
  if (list.length === 0) return `"${listKey}" is empty`;
  const messages: ChatMessage[] = [];
  for (const [k, m] of list.entries()) {
    const n = k + 1;
    if (!isRecord(m)) return `message ${n} must be an object with role and content, not ${typeName(m)}`;
    const roleKey = columns.role ?? (has(m, 'role') || !has(m, 'from') ? 'role' : 'from');
    const contentKey = columns.content ?? (has(m, 'content') || !has(m, 'value') ? 'content' : 'value');
    if (!has(m, roleKey)) return `message ${n} has no "${roleKey}"`;
    if (!has(m, contentKey)) return `message ${n} has no "${contentKey}"`;
    const rawRole = m[roleKey];
    const content = m[contentKey];
    if (typeof rawRole !== 'string') return `message ${n}: "${roleKey}" must be a string, not ${typeName(rawRole)}`;
    const role = has(ROLES, rawRole) ? ROLES[rawRole] : undefined;
    if (role === undefined) return `message ${n} has the unknown role ${JSON.stringify(rawRole)}; the accepted roles are ${ROLE_LIST}`;
    if (typeof content !== 'string') return `message ${n}: "${contentKey}" must be a string, not ${typeName(content)}`;
    if (role === 'assistant' && content.trim() === '') return `empty answer: message ${n} (assistant) is empty`;
    messages.push({ role, content });
  }
  if (!messages.some((m) => m.role === 'assistant')) return 'no assistant message to train on';
  return { kind: 'chat', messages };
}
