/**
 * The migration runner: each migration is all-or-nothing together with its user_version bump.
 * Bad migrations are injected through openStore's internal `migrations` option.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION, StoreError, type Migration } from '../../src-main/store/index.js';
import { MIGRATIONS } from '../../src-main/store/migrations/index.js';
import { sampleRun, tempFolder } from './helpers.js';

const nextFile = tempFolder('store-migrations');

function inspect(file: string): { version: number; tables: string[]; runs: string[]; stages: number } {
  const raw = new Database(file, { readonly: true });
  const version = raw.pragma('user_version', { simple: true }) as number;
  const tables = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  const runs = tables.includes('runs') ? (raw.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as string[]) : [];
  const stages = tables.includes('stages') ? (raw.prepare('SELECT count(*) FROM stages').pluck().get() as number) : 0;
  raw.close();
  return { version, tables, runs, stages };
}

function failure(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  throw new Error('expected a StoreError');
}

/** A database at the current schema holding one run. */
function currentDb(): string {
  const file = nextFile();
  const s = openStore(file);
  s.runs.create(sampleRun('existing'));
  s.close();
  return file;
}

const next = SCHEMA_VERSION + 1;
const label = `${String(next).padStart(3, '0')}-bad`;

describe('a failing migration', () => {
  it('written as SQL: rolls back every statement before the failing one and keeps user_version', () => {
    const file = currentDb();
    const before = inspect(file);
    const bad: Migration = {
      version: next,
      name: 'bad',
      up: `CREATE TABLE half_done (x);
           INSERT INTO runs (id, name, status, plan_json, model_path, strategy, ratio, seed, total_steps, created_at, updated_at)
             VALUES ('ghost', 'g', 'queued', '{}', '/m', 'full', 1, 0, 0, 'now', 'now');
           SELECT no_such_function();`,
    };
    const err = failure(() => openStore(file, { migrations: [...MIGRATIONS, bad] }));
    expect(err.code).toBe('MIGRATION_FAILED');
    expect(err.message).toContain(file);
    expect(err.message).toContain(label);
    expect(err.message).toContain(`stays at schema ${SCHEMA_VERSION}`);
    expect(inspect(file)).toEqual(before); // no half_done table, no ghost run, same version
    // The app still opens it normally afterwards.
    const s = openStore(file);
    expect(s.runs.list().map((r) => r.id)).toEqual(['existing']);
    s.close();
  });

  it('written as a function: its work is undone when it throws', () => {
    const file = currentDb();
    const before = inspect(file);
    const bad: Migration = {
      version: next,
      name: 'bad',
      up: (db) => {
        db.exec('CREATE TABLE half_done (x)');
        db.prepare("UPDATE runs SET name = 'changed'").run();
        throw new Error('disk on fire');
      },
    };
    const err = failure(() => openStore(file, { migrations: [...MIGRATIONS, bad] }));
    expect(err.message).toMatch(/disk on fire$/);
    expect(inspect(file)).toEqual(before);
    const s = openStore(file);
    expect(s.runs.get('existing')?.name).toBe('run existing');
    s.close();
  });

  it('that leaves a broken foreign key is refused before it commits', () => {
    const file = currentDb();
    const before = inspect(file);
    // Foreign keys are off while migrations run, so only the runner's foreign_key_check can catch this.
    const bad: Migration = {
      version: next,
      name: 'bad',
      up: `INSERT INTO stages (run_id, idx, task_name, dataset_sha256, steps) VALUES ('nobody', 0, 't', '${'a'.repeat(64)}', 1)`,
    };
    const err = failure(() => openStore(file, { migrations: [...MIGRATIONS, bad] }));
    expect(err.message).toMatch(/foreign-key/);
    expect(inspect(file)).toEqual(before);
  });

  it('on a fresh file: earlier migrations stay applied, the failing one does not', () => {
    const file = nextFile();
    const bad: Migration = { version: next, name: 'bad', up: 'CREATE TABLE runs (x)' }; // already exists
    expect(failure(() => openStore(file, { migrations: [...MIGRATIONS, bad] })).code).toBe('MIGRATION_FAILED');
    const after = inspect(file);
    expect(after.version).toBe(SCHEMA_VERSION);
    expect(after.tables).toContain('checkpoints');
  });

  it('as the very first migration leaves an empty file at version 0 that opens cleanly later', () => {
    const file = nextFile();
    const bad: Migration = { version: 1, name: 'bad', up: 'CREATE TABLE t (x); CREATE TABLE t (y);' };
    expect(failure(() => openStore(file, { migrations: [bad] })).code).toBe('MIGRATION_FAILED');
    expect(inspect(file)).toEqual({ version: 0, tables: [], runs: [], stages: 0 });
    openStore(file).close();
    expect(inspect(file).version).toBe(SCHEMA_VERSION);
  });
});

describe('the registry', () => {
  it('is numbered 1..N without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('a registry with a gap is refused before the file is even created', () => {
    const file = nextFile();
    const gap: Migration[] = [...MIGRATIONS, { version: next + 1, name: 'skip', up: 'SELECT 1' }];
    expect(() => openStore(file, { migrations: gap })).toThrow(/out of order/);
    expect(existsSync(dirname(file))).toBe(false);
  });

  it('applies a new migration once, and later opens skip it', () => {
    const file = currentDb();
    let calls = 0;
    const add: Migration = {
      version: next,
      name: 'add-note',
      up: (db) => {
        calls++;
        db.exec('ALTER TABLE runs ADD COLUMN note TEXT');
      },
    };
    for (let i = 0; i < 2; i++) openStore(file, { migrations: [...MIGRATIONS, add] }).close();
    expect(calls).toBe(1);
    expect(inspect(file).version).toBe(next);
    // And the shipped app now refuses it as newer.
    expect(failure(() => openStore(file)).code).toBe('NEWER_SCHEMA');
  });
});
