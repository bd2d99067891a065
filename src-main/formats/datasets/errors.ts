/**
 * The one error type of the dataset readers: every bad row of a file, each with file, line and
 * reason. The message is one line (the first problem plus a count of the rest) so it can go straight
 * into a CLI error; `errors` holds the full list for a preview or an import report.
 */

export interface RowError {
  file: string;
  /** 1-based line where the bad row starts; 0 when the problem is the whole file, not one row. */
  line: number;
  reason: string;
}

export class DatasetError extends Error {
  constructor(readonly errors: RowError[]) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more bad rows)` : '';
    super(oneLine(`${where(first)}: ${first.reason}${more}`));
    this.name = 'DatasetError';
  }
}

/** `file:line`, or just `file` for a problem with the whole file. */
export function where(e: Pick<RowError, 'file' | 'line'>): string {
  return e.line > 0 ? `${e.file}:${e.line}` : e.file;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');
}
