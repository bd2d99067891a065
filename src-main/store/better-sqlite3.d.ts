/**
 * Type declarations for the part of better-sqlite3 (v12) that the store uses.
 *
 * The project has no @types/better-sqlite3; without these, strict TypeScript refuses the
 * import. If that package is ever added, delete this file (the two would conflict).
 */
declare module 'better-sqlite3' {
  namespace BetterSqlite3 {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }

    interface Statement<Row = unknown> {
      run(...params: unknown[]): RunResult;
      get(...params: unknown[]): Row | undefined;
      all(...params: unknown[]): Row[];
      iterate(...params: unknown[]): IterableIterator<Row>;
      /** Only the first column of each row (a bare value instead of an object). */
      pluck(toggle?: boolean): this;
      readonly reader: boolean;
      readonly source: string;
    }

    interface Transaction<Args extends unknown[], Result> {
      (...args: Args): Result;
      deferred(...args: Args): Result;
      immediate(...args: Args): Result;
      exclusive(...args: Args): Result;
    }

    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** Busy timeout in ms (default 5000). */
      timeout?: number;
      /** Path to a better_sqlite3.node built for another ABI (Electron). */
      nativeBinding?: string;
      verbose?: (message?: unknown, ...more: unknown[]) => void;
    }

    interface Database {
      prepare<Row = unknown>(sql: string): Statement<Row>;
      exec(sql: string): this;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      transaction<Args extends unknown[], Result>(fn: (...args: Args) => Result): Transaction<Args, Result>;
      close(): this;
      /** Lifts better-sqlite3's safety rails (SQLite's defensive mode among them); tests only. */
      unsafeMode(on?: boolean): this;
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly name: string;
      readonly memory: boolean;
      readonly readonly: boolean;
    }

    interface SqliteError extends Error {
      /** SQLite's extended result code name, e.g. 'SQLITE_CONSTRAINT_CHECK'. */
      code: string;
    }

    interface DatabaseConstructor {
      new (filename?: string, options?: Options): Database;
      (filename?: string, options?: Options): Database;
      readonly SqliteError: new (message: string, code: string) => SqliteError;
    }
  }

  const Database: BetterSqlite3.DatabaseConstructor;
  // Type-only namespace merged with the value, so `Database.Database` etc. name the types.
  namespace Database {
    type Database = BetterSqlite3.Database;
    type Statement<Row = unknown> = BetterSqlite3.Statement<Row>;
    type Transaction<Args extends unknown[], Result> = BetterSqlite3.Transaction<Args, Result>;
    type RunResult = BetterSqlite3.RunResult;
    type Options = BetterSqlite3.Options;
    type SqliteError = BetterSqlite3.SqliteError;
  }
  export = Database;
}
