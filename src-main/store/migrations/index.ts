/**
 * The registry of schema migrations, in order. Migration N takes the database from
 * `user_version` N-1 to N. Add a file `NNN-what.ts` exporting `up` and list it here; never edit
 * or reorder a migration that has shipped.
 */
import type Database from 'better-sqlite3';
import { up as initial } from './001-initial.js';
import { up as exportsAndMerges } from './002-exports-and-merges.js';

export interface Migration {
  /** The schema version after this migration; 1, 2, 3, ... without gaps. */
  readonly version: number;
  /** Short kebab-case name, as in the file name. */
  readonly name: string;
  /**
   * SQL (may hold several statements, but no BEGIN/COMMIT: the runner owns the transaction),
   * or a function doing the work on the connection, for data rewrites SQL cannot express.
   */
  readonly up: string | ((db: Database.Database) => void);
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', up: initial },
  { version: 2, name: 'exports-and-merges', up: exportsAndMerges },
];
