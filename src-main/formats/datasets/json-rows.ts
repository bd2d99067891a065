/**
 * The two JSON containers of a dataset: JSONL (one value per line) and a JSON array of rows.
 *
 * A JSON array is split into its top-level elements with a small bracket scanner and each element
 * is parsed on its own, so one malformed row is reported with the line where it starts and the
 * rows after it are still checked (JSON.parse on the whole file would stop at the first error and
 * give only a character offset).
 */
import type { RowError } from './errors.js';

export interface RawRecord {
  /** 1-based line where the row starts. */
  line: number;
  value: unknown;
}

export interface ParsedRecords {
  records: RawRecord[];
  errors: RowError[];
}

/** Maps offsets in `text` to 1-based lines and columns. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  column(offset: number): number {
    return offset - this.starts[this.line(offset) - 1] + 1;
  }
}

/** JSON.parse's message with its "at position N" (an offset into `text`) turned into a line and column. */
function jsonReason(err: unknown, base: number, lines: LineIndex, withLine: boolean): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = / in JSON at position (\d+)/.exec(msg);
  if (!m) return `invalid JSON: ${msg}`;
  const at = base + Number(m[1]);
  const where = withLine ? `line ${lines.line(at)}, column ${lines.column(at)}` : `column ${lines.column(at)}`;
  return `invalid JSON: ${msg.slice(0, m.index)} at ${where}`;
}

/** One JSON value per line; blank lines are skipped. */
export function parseJsonl(text: string, file: string): ParsedRecords {
  const records: RawRecord[] = [];
  const errors: RowError[] = [];
  const lines = new LineIndex(text);
  let offset = 0;
  for (const [i, lineText] of text.split('\n').entries()) {
    const line = i + 1;
    if (lineText.trim() !== '') {
      try {
        records.push({ line, value: JSON.parse(lineText) });
      } catch (e) {
        errors.push({ file, line, reason: jsonReason(e, offset, lines, false) });
      }
    }
    offset += lineText.length + 1;
  }
  return { records, errors };
}

const CLOSER: Record<string, string> = { '{': '}', '[': ']' };

/**
 * A top-level JSON array. Structural problems with the array itself (no closing bracket, text
 * after it) are errors too; an element with unbalanced brackets swallows what follows it, so the
 * error count is then a lower bound, but the first bad row is always named correctly.
 */
export function parseJsonArray(text: string, file: string): ParsedRecords {
  const records: RawRecord[] = [];
  const errors: RowError[] = [];
  const lines = new LineIndex(text);
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  let i = 0;
  const skipSpace = (): void => {
    while (isSpace(text[i])) i++;
  };
  skipSpace();
  if (text[i] !== '[') return { records, errors: [{ file, line: lines.line(i), reason: 'expected a JSON array of rows ("[" ...)' }] };
  i++;
  skipSpace();
  if (text[i] === ']') i++;
  else {
    for (;;) {
      skipSpace();
      const start = i;
      const line = lines.line(start);
      if (i >= text.length) {
        errors.push({ file, line: lines.line(text.length), reason: 'the JSON array is not closed: the file ends before its "]"' });
        return { records, errors };
      }
      if (text[i] === ']' || text[i] === ',') {
        errors.push({ file, line, reason: `invalid JSON: expected a row before "${text[i]}" (a trailing or doubled comma?)` });
        if (text[i] === ']') {
          i++;
          break;
        }
        i++;
        continue;
      }
      // At least one character per element, so a stray closer cannot stall the loop.
      const end = Math.max(scanValue(text, i), i + 1);
      const elementText = text.slice(start, end);
      try {
        records.push({ line, value: JSON.parse(elementText) });
      } catch (e) {
        errors.push({ file, line, reason: jsonReason(e, start, lines, true) });
      }
      i = end;
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        break;
      }
      if (i >= text.length) {
        errors.push({ file, line: lines.line(text.length), reason: 'the JSON array is not closed: the file ends before its "]"' });
        return { records, errors };
      }
      // Most likely a missing comma: report it and read on as if it were there.
      errors.push({ file, line: lines.line(i), reason: 'invalid JSON: expected "," or "]" after the row above' });
    }
  }
  skipSpace();
  if (i < text.length) errors.push({ file, line: lines.line(i), reason: 'unexpected text after the closing "]" of the JSON array' });
  return { records, errors };
}

/**
 * End offset of the JSON value starting at `from`: just after its closing bracket or quote, or for
 * a bare word (number, literal, garbage) at the next comma, bracket or space. Validity is left to
 * JSON.parse; this only has to find where the next row starts.
 */
function scanValue(text: string, from: number): number {
  const stack: string[] = [];
  let i = from;
  if (text[i] !== '{' && text[i] !== '[' && text[i] !== '"') {
    while (i < text.length && !/[,\]\s]/.test(text[i])) i++;
    return i;
  }
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '{' || c === '[') {
      stack.push(CLOSER[c]);
      i++;
    } else if (c === '}' || c === ']') {
      if (stack[stack.length - 1] === c) stack.pop();
      // A mismatched closer is left to JSON.parse to report. A "]" most likely closes the array
      // (the row lacks a "}"), so it stays for the caller; a "}" ends this row.
      else return c === ']' ? i : i + 1;
      i++;
    } else i++;
    if (stack.length === 0) return i;
  }
  return i;
}
