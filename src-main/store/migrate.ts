/**
 * Runs the schema migrations a database has not had yet.
 *
 * Each migration runs in its own BEGIN IMMEDIATE transaction that also sets `user_version`, so
 * a crash or an error leaves the database at the previous version with nothing half-applied.
 * IMMEDIATE takes the write lock up front, and the version is re-read under it, so two
 * processes opening the same fresh file cannot both apply migration 1.
 */
import type Database from 'better-sqlite3';
import { messageOf, StoreError } from './errors.js';
import type { Migration } from './migrations/index.js';

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** The schema version the given registry ends at (0 for an empty registry). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
}

/** Brings `db` up to `latestVersion(migrations)`. Throws MIGRATION_FAILED on the first failure. */
export function migrate(db: Database.Database, file: string, migrations: readonly Migration[]): void {
  checkRegistry(migrations);
  for (const m of migrations) {
    // Cheap pre-check without a lock: an up-to-date database never takes the write lock here.
    if (userVersion(db) >= m.version) continue;
    const apply = db.transaction(() => {
      if (userVersion(db) >= m.version) return; // another connection applied it meanwhile
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new Error(`it leaves ${broken.length} broken foreign-key reference(s)`);
      // PRAGMA cannot take a bound parameter; version is a checked integer.
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      apply.immediate();
    } catch (e) {
      const label = `${String(m.version).padStart(3, '0')}-${m.name}`;
      throw new StoreError(
        'MIGRATION_FAILED',
        file,
        `${file}: schema migration ${label} failed and was rolled back (the database stays at schema ${userVersion(db)}): ${messageOf(e)}`,
      );
    }
  }
}

/** A programming error in the registry must not reach a user's database. */
export function checkRegistry(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration registry is out of order: entry ${i} has version ${m.version}, expected ${i + 1}`);
    }
  });
}
