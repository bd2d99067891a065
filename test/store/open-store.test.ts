/**
 * openStore: pragmas, migration to the latest schema, reopening, and the refusals (newer
 * schema, not SQLite, someone else's database) that must leave the file untouched.
 * Checked through a second, raw better-sqlite3 connection where the store's own view could lie.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION, StoreError } from '../../src-main/store/index.js';
import { MIGRATIONS } from '../../src-main/store/migrations/index.js';
import { freshStore, sampleRun, tempFolder } from './helpers.js';

const nextFile = tempFolder('store-open');

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function storeErrorOf(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  throw new Error('expected a StoreError, nothing was thrown');
}

/** The tables and columns DESIGN §7 and the issue ask for, written out independently. */
const EXPECTED_COLUMNS: Record<string, string[]> = {
  models: ['id', 'path', 'name', 'architecture', 'params', 'created_at'],
  datasets: ['id', 'sha256', 'name', 'format', 'rows', 'path', 'source_path', 'bytes', 'created_at'],
  runs: ['id', 'name', 'status', 'plan_json', 'model_path', 'strategy', 'ratio', 'seed', 'backend', 'error', 'op', 'bwt', 'total_steps', 'created_at', 'updated_at', 'finished_at'],
  stages: ['run_id', 'idx', 'task_name', 'dataset_sha256', 'steps', 'mask_json', 'status', 'started_at', 'finished_at'],
  metrics: ['run_id', 'step', 'stage', 'loss', 'lr', 'grad_norm', 'tokens', 'ms', 'tokens_per_s', 'memory_bytes'],
  evals: ['run_id', 'after_stage', 'task', 'loss', 'accuracy', 'examples'],
  checkpoints: ['run_id', 'stage', 'step', 'path', 'manifest_sha256', 'stage_end', 'created_at'],
  exports: ['id', 'run_id', 'path', 'format', 'merge', 'created_at', 'stage', 'bytes', 'gguf_type'],
  merge_evals: ['run_id', 'merge', 'after_stage', 'task', 'loss', 'accuracy', 'examples'],
};

describe('openStore on a new file', () => {
  it('creates missing parent folders and sets WAL, foreign keys, busy timeout and synchronous=FULL', () => {
    const file = join(dirname(nextFile()), 'deeper', 'still', 'hft.db');
    const store = openStore(file);
    expect(existsSync(file)).toBe(true);
    expect(store.pragmas()).toEqual({ journalMode: 'wal', foreignKeys: true, busyTimeoutMs: 5000, synchronous: 2, userVersion: SCHEMA_VERSION });
    // foreign_keys is per connection: prove it is enforced, not just reported.
    expect(() => store.stages.insertPlanned('no-such-run', [{ taskName: 't', datasetSha256: 'a'.repeat(64), steps: 1 }])).toThrow(/FOREIGN KEY/);
    store.close();
    // journal_mode=WAL persists in the file: a fresh raw connection sees it.
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('migrates an empty file to the latest schema with every table and column', () => {
    const file = nextFile();
    openStore(file).close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    const tables = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(Object.keys(EXPECTED_COLUMNS).sort());
    for (const [table, columns] of Object.entries(EXPECTED_COLUMNS)) {
      const got = (raw.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      expect(got, table).toEqual(columns);
    }
    const cascades = (raw.pragma('foreign_key_list(metrics)') as { table: string; on_delete: string }[])[0];
    expect(cascades).toMatchObject({ table: 'runs', on_delete: 'CASCADE' });
    raw.close();
  });

  it('reports integrity_check ok', () => {
    const store = freshStore(nextFile);
    store.runs.create(sampleRun('r'));
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('reports a damaged index instead of ok', () => {
    const file = nextFile();
    const store = openStore(file);
    for (let i = 0; i < 20; i++) store.runs.create(sampleRun(`r${i}`));
    store.close();
    // Zero the root page of runs_by_created (a one-page index) behind SQLite's back.
    const raw = new Database(file);
    raw.pragma('journal_mode = DELETE'); // fold the WAL into the main file first
    const page = raw.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'runs_by_created'").pluck().get() as number;
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    raw.close();
    const bytes = readFileSync(file);
    bytes.fill(0, (page - 1) * pageSize, page * pageSize);
    writeFileSync(file, bytes);
    const damaged = openStore(file);
    expect(damaged.integrityCheck()).not.toBe('ok');
    damaged.close();
  });

  it('lists what integrity_check finds when an index disagrees with its table', () => {
    const file = nextFile();
    const store = openStore(file);
    for (let i = 0; i < 5; i++) store.runs.create(sampleRun(`r${i}`));
    store.close();
    // Redefine the index on another column without rebuilding it: its entries no longer match.
    const raw = new Database(file);
    raw.unsafeMode(true); // better-sqlite3 runs SQLite in defensive mode, which forbids this
    raw.pragma('writable_schema = ON');
    raw.prepare("UPDATE sqlite_schema SET sql = 'CREATE INDEX runs_by_created ON runs (name)' WHERE name = 'runs_by_created'").run();
    raw.close();
    const damaged = openStore(file);
    const report = damaged.integrityCheck();
    damaged.close();
    expect(report).not.toBe('ok');
    expect(report).toMatch(/runs_by_created/);
  });

  it('accepts :memory: (no folder, no WAL)', () => {
    const store = openStore(':memory:');
    expect(store.pragmas()).toMatchObject({ journalMode: 'memory', foreignKeys: true, userVersion: SCHEMA_VERSION });
    store.close();
    store.close(); // twice is fine
  });
});

describe('reopening', () => {
  it('is idempotent: data kept, schema unchanged, nothing re-applied', () => {
    const file = nextFile();
    const a = openStore(file);
    a.runs.create(sampleRun('keep'));
    a.close();
    const schemaOf = () => {
      const raw = new Database(file, { readonly: true });
      const rows = raw.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
      raw.close();
      return rows;
    };
    const before = schemaOf();
    for (let i = 0; i < 3; i++) {
      const b = openStore(file);
      expect(b.pragmas().userVersion).toBe(SCHEMA_VERSION);
      expect(b.runs.list().map((r) => r.id)).toEqual(['keep']);
      b.close();
    }
    expect(schemaOf()).toEqual(before);
  });

  it('two stores can be open on the same file at once', () => {
    const file = nextFile();
    const a = openStore(file);
    const b = openStore(file);
    a.runs.create(sampleRun('x'));
    expect(b.runs.get('x')?.status).toBe('queued');
    a.close();
    b.close();
  });
});

describe('refusals leave the file untouched', () => {
  it('refuses a database from a newer app, naming both schema versions', () => {
    const file = nextFile();
    openStore(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 3}`);
    raw.close();
    const before = sha(file);
    const err = storeErrorOf(() => openStore(file));
    expect(err.code).toBe('NEWER_SCHEMA');
    expect(err.file).toBe(file);
    expect(err.message).toBe(
      `${file} was written by a newer HFT Studio (schema ${SCHEMA_VERSION + 3}, this app knows up to ${SCHEMA_VERSION}); update the app`,
    );
    expect(sha(file)).toBe(before);
  });

  it('refuses a newer database before switching it to WAL', () => {
    const file = nextFile();
    mkdirSync(dirname(file), { recursive: true });
    const raw = new Database(file); // rollback-journal mode, as another tool might leave it
    raw.exec('CREATE TABLE future (x)');
    raw.pragma('user_version = 999');
    raw.close();
    const before = sha(file);
    expect(storeErrorOf(() => openStore(file)).code).toBe('NEWER_SCHEMA');
    expect(sha(file)).toBe(before);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
  });

  it('refuses a file that is not SQLite, naming it', () => {
    const file = nextFile();
    mkdirSync(dirname(file), { recursive: true });
    const text = 'instruction,output\n'.repeat(50);
    writeFileSync(file, text);
    const err = storeErrorOf(() => openStore(file));
    expect(err.code).toBe('NOT_SQLITE');
    expect(err.message).toContain(file);
    expect(err.message).not.toMatch(/\n/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it("refuses someone else's SQLite database rather than adding tables to it", () => {
    const file = nextFile();
    mkdirSync(dirname(file), { recursive: true });
    const raw = new Database(file);
    raw.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('ada')");
    raw.close();
    const before = sha(file);
    const err = storeErrorOf(() => openStore(file));
    expect(err.code).toBe('NOT_HFT_DATABASE');
    expect(err.message).toContain(file);
    expect(sha(file)).toBe(before);
  });

  it('reports a path that cannot be opened (a folder) as OPEN_FAILED naming it', () => {
    const folder = dirname(nextFile());
    mkdirSync(folder, { recursive: true });
    const err = storeErrorOf(() => openStore(folder));
    expect(err.code).toBe('OPEN_FAILED');
    expect(err.message).toContain(folder);
  });
});
