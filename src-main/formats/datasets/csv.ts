/**
 * CSV rows (RFC 4180): a header row names the columns; fields may be quoted, with "" for a quote
 * inside and line breaks inside; records end with LF or CRLF. Each row becomes an object keyed by
 * the header, every value a string. A row's line is the line where the record starts, so a bad
 * multi-line record is reported where the user sees it begin.
 *
 * Lenient where spreadsheets are sloppy and nothing is lost: header names are trimmed, blank lines
 * are skipped, a quote inside an unquoted field is kept as text, and CRLF inside a quoted field
 * becomes LF (a Windows line break in an answer is file formatting, not something to train).
 */
import type { RowError } from './errors.js';
import type { ParsedRecords, RawRecord } from './json-rows.js';

interface CsvRecord {
  line: number;
  fields: string[];
  /** Set when the record is malformed; the fields are then incomplete. */
  error?: string;
}

/** Splits `text` into records. Stops at an unterminated quote, which swallows the rest of the file. */
function* records(text: string): Generator<CsvRecord> {
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            yield { line: start, fields, error: 'a quoted field never ends (a " is missing), so the rest of the file is unreadable' };
            return;
          }
          const chunk = text.slice(i, q);
          line += countNewlines(chunk);
          value += chunk.replace(/\r\n/g, '\n');
          if (text[q + 1] === '"') {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          error ??= 'unexpected text after a closing quote (a quote inside a quoted field must be doubled: "")';
          while (i < text.length && text[i] !== ',' && text[i] !== '\n') i++;
        }
      } else {
        let j = i;
        while (j < text.length && text[j] !== ',' && text[j] !== '\n') j++;
        value = text.slice(i, text[j - 1] === '\r' && text[j] === '\n' ? j - 1 : j);
        i = j;
      }
      fields.push(value);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    yield { line: start, fields, error };
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) n++;
  return n;
}

const isBlank = (r: CsvRecord): boolean => r.fields.length === 1 && r.fields[0].trim() === '' && r.error === undefined;

export function parseCsv(text: string, file: string): ParsedRecords {
  const out: RawRecord[] = [];
  const errors: RowError[] = [];
  let header: string[] | null = null;
  for (const rec of records(text)) {
    if (isBlank(rec)) continue;
    if (rec.error !== undefined) {
      errors.push({ file, line: rec.line, reason: rec.error });
      continue;
    }
    if (header === null) {
      header = rec.fields.map((h) => h.trim());
      const seen = new Set<string>();
      for (const h of header) {
        if (seen.has(h)) errors.push({ file, line: rec.line, reason: `the header names the column "${h}" twice` });
        seen.add(h);
      }
      continue;
    }
    if (rec.fields.length !== header.length) {
      errors.push({ file, line: rec.line, reason: `the row has ${rec.fields.length} fields but the header has ${header.length} columns` });
      continue;
    }
    const value: Record<string, string> = {};
    header.forEach((h, k) => Object.defineProperty(value, h, { value: rec.fields[k], enumerable: true, writable: true, configurable: true }));
    out.push({ line: rec.line, value });
  }
  if (header !== null && out.length === 0 && errors.length === 0) {
    errors.push({ file, line: 1, reason: 'the file has a header row but no rows' });
  }
  return { records: out, errors };
}
