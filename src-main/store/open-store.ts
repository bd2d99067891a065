/**
 * Opens (creating if needed) the app's SQLite database: sets the connection pragmas, refuses
 * files that are not ours or are from a newer app, runs pending migrations, and hands back one
 * repository per table.
 *
 * Order matters: everything that could refuse the file runs before anything that writes to it
 * (journal_mode=WAL rewrites the header), so a refused file is left byte-for-byte as it was.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CheckpointsRepo } from './checkpoints-repo.js';
import { DatasetsRepo } from './datasets-repo.js';
import { messageOf, StoreError } from './errors.js';
import { EvalsRepo } from './evals-repo.js';
import { ExportsRepo } from './exports-repo.js';
import { MergeEvalsRepo } from './merge-evals-repo.js';
import { MetricsRepo } from './metrics-repo.js';
import { checkRegistry, latestVersion, migrate, userVersion } from './migrate.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { ModelsRepo } from './models-repo.js';
import type { RepoContext } from './repo-context.js';
import { RunsRepo } from './runs-repo.js';
import { StagesRepo } from './stages-repo.js';

/** How long a connection waits for another's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

export interface OpenStoreOptions {
  /**
   * better_sqlite3.node built for another ABI. Electron passes its own rebuilt copy here, so the
   * Node build that tests and the CLI load is never overwritten (DESIGN §8).
   */
  nativeBinding?: string;
  /** Clock for the `*_at` columns (epoch ms). Default Date.now. */
  now?: () => number;
  /** @internal Replaces the migration registry; tests use it to inject a failing migration. */
  migrations?: readonly Migration[];
}

/** The connection settings as SQLite reports them. */
export interface StorePragmas {
  journalMode: string;
  foreignKeys: boolean;
  busyTimeoutMs: number;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  userVersion: number;
}

export interface Store {
  /** The database file as given to openStore. */
  readonly file: string;
  readonly models: ModelsRepo;
  readonly datasets: DatasetsRepo;
  readonly runs: RunsRepo;
  readonly stages: StagesRepo;
  readonly metrics: MetricsRepo;
  readonly evals: EvalsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly exports: ExportsRepo;
  readonly mergeEvals: MergeEvalsRepo;
  /** Runs `fn` in one transaction (a savepoint when nested); `fn` must be synchronous. */
  transaction<T>(fn: () => T): T;
  /** SQLite's `PRAGMA integrity_check`: 'ok', or the problems found, one per line. */
  integrityCheck(): string;
  pragmas(): StorePragmas;
  /** Closes the connection; later calls on the repositories throw. Safe to call twice. */
  close(): void;
}

/** The schema version this build of the app writes. */
export const SCHEMA_VERSION = latestVersion(MIGRATIONS);

export function openStore(file: string, options: OpenStoreOptions = {}): Store {
  const migrations = options.migrations ?? MIGRATIONS;
  checkRegistry(migrations);
  const memory = file === ':memory:';
  if (!memory) {
    try {
      mkdirSync(dirname(resolve(file)), { recursive: true });
    } catch (e) {
      throw new StoreError('OPEN_FAILED', file, `${file}: cannot create its folder: ${fsReason(e)}`);
    }
  }

  let db: Database.Database;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS, nativeBinding: options.nativeBinding });
  } catch (e) {
    throw new StoreError('OPEN_FAILED', file, `${file}: cannot open the database: ${messageOf(e)}`);
  }

  try {
    prepareConnection(db, file, memory, migrations);
  } catch (e) {
    db.close();
    throw e;
  }
  const ms = options.now ?? Date.now;
  return new SqliteStore(db, { db, file, now: () => new Date(ms()).toISOString() });
}

function prepareConnection(db: Database.Database, file: string, memory: boolean, migrations: readonly Migration[]): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);

  // The first read of the file: this is where a non-database fails.
  let version: number;
  try {
    version = userVersion(db);
  } catch (e) {
    if (isSqliteError(e, 'SQLITE_NOTADB')) {
      throw new StoreError('NOT_SQLITE', file, `${file} is not an HFT Studio database (it is not an SQLite file)`);
    }
    throw new StoreError('OPEN_FAILED', file, `${file}: cannot read the database: ${messageOf(e)}`);
  }

  const known = latestVersion(migrations);
  if (version > known) {
    throw new StoreError(
      'NEWER_SCHEMA',
      file,
      `${file} was written by a newer HFT Studio (schema ${version}, this app knows up to ${known}); update the app`,
    );
  }
  if (version === 0) {
    // user_version 0 with tables in it: someone else's database; do not add ours beside them.
    const tables = db.prepare<number>("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").pluck().get() ?? 0;
    if (tables > 0) {
      throw new StoreError('NOT_HFT_DATABASE', file, `${file} is an SQLite database, but not an HFT Studio one`);
    }
  }

  // WAL lets readers (the UI, `hft runs`) work while a run writes; it persists in the file.
  const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
  if (!memory && mode !== 'wal') {
    throw new StoreError(
      'OPEN_FAILED',
      file,
      `${file}: SQLite could not switch the database to write-ahead logging (journal mode stays "${mode}"); is it on a network drive?`,
    );
  }
  // Run state must survive a power cut, not just an app crash.
  db.pragma('synchronous = FULL');
  // Migrations run with foreign keys off, as SQLite advises for table rebuilds (a DROP of a
  // referenced table would otherwise cascade); migrate() runs foreign_key_check before commit.
  db.pragma('foreign_keys = OFF');
  migrate(db, file, migrations);
  db.pragma('foreign_keys = ON');
}

class SqliteStore implements Store {
  readonly file: string;
  readonly models: ModelsRepo;
  readonly datasets: DatasetsRepo;
  readonly runs: RunsRepo;
  readonly stages: StagesRepo;
  readonly metrics: MetricsRepo;
  readonly evals: EvalsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly exports: ExportsRepo;
  readonly mergeEvals: MergeEvalsRepo;

  constructor(
    private readonly db: Database.Database,
    ctx: RepoContext,
  ) {
    this.file = ctx.file;
    this.models = new ModelsRepo(ctx);
    this.datasets = new DatasetsRepo(ctx);
    this.runs = new RunsRepo(ctx);
    this.stages = new StagesRepo(ctx);
    this.metrics = new MetricsRepo(ctx);
    this.evals = new EvalsRepo(ctx);
    this.checkpoints = new CheckpointsRepo(ctx);
    this.exports = new ExportsRepo(ctx);
    this.mergeEvals = new MergeEvalsRepo(ctx);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  integrityCheck(): string {
    try {
      return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n');
    } catch (e) {
      // Damage bad enough that the check itself cannot walk the file is still a finding, not a crash.
      if (e instanceof Database.SqliteError) return `${e.code}: ${e.message}`;
      throw e;
    }
  }

  pragmas(): StorePragmas {
    const get = (name: string) => this.db.pragma(name, { simple: true });
    return {
      journalMode: String(get('journal_mode')),
      foreignKeys: get('foreign_keys') === 1,
      busyTimeoutMs: Number(get('busy_timeout')),
      synchronous: Number(get('synchronous')),
      userVersion: Number(get('user_version')),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function isSqliteError(e: unknown, code: string): boolean {
  return e instanceof Database.SqliteError && e.code === code;
}

function fsReason(e: unknown): string {
  return e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
}
