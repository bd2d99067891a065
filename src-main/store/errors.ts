/**
 * The one error type of the store. `code` is stable for callers that branch on it; `message`
 * is one plain-words line that names the database file, ready for a log or a CLI error.
 */

export type StoreErrorCode =
  | 'OPEN_FAILED' // the file or its folder cannot be opened/created, or WAL cannot be turned on
  | 'NOT_SQLITE' // the file exists but is not an SQLite database
  | 'NOT_HFT_DATABASE' // an SQLite database with someone else's tables in it
  | 'NEWER_SCHEMA' // written by a newer app: user_version above what this build knows
  | 'MIGRATION_FAILED' // a migration threw; it was rolled back, user_version unchanged
  | 'NOT_FOUND'; // an update addressed a run/stage that does not exist

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly file: string;

  /** `message` is the whole sentence; it should name `file`. */
  constructor(code: StoreErrorCode, file: string, message: string) {
    super(message.replace(/[\r\n\u2028\u2029]+/g, ' '));
    this.name = 'StoreError';
    this.code = code;
    this.file = file;
  }
}

/** The message of anything thrown, for embedding in a StoreError. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
