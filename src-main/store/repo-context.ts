/**
 * What every repository shares: the connection, the file name (for error messages) and the
 * clock. Also the conversions between JS numbers and SQLite REAL columns.
 */
import type Database from 'better-sqlite3';

export interface RepoContext {
  readonly db: Database.Database;
  readonly file: string;
  /** Current time as an ISO-8601 UTC string; all `*_at` columns hold these. */
  readonly now: () => string;
}

/**
 * SQLite cannot store NaN: binding NaN writes NULL. A diverged run's NaN loss must still be
 * recorded, so REAL columns that may legitimately be NaN are nullable, and NULL reads back as NaN.
 * (±Infinity is stored as is.)
 */
export function nanFromNull(v: number | null): number {
  return v === null ? Number.NaN : v;
}
