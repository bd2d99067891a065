/**
 * The `datasets` table: imported dataset files, keyed by the sha256 of their content. The app
 * keeps its own copy (`path`, under datasets/<sha256>) so a run can be resumed or repeated even
 * if the user's original file moves or changes.
 */
import type { RepoContext } from './repo-context.js';

export interface NewDataset {
  /** sha256 of the file's bytes, 64 lowercase hex digits; unique. */
  sha256: string;
  name: string;
  /** The detected (or chosen) row format: alpaca, messages, prompt-completion, text, ... */
  format: string;
  rows: number;
  /** The stored copy. */
  path: string;
  /** Where the user imported it from. */
  sourcePath: string;
  bytes: number;
}

export interface DatasetRecord extends NewDataset {
  id: number;
  createdAt: string;
}

const COLUMNS = 'id, sha256, name, format, rows, path, source_path AS sourcePath, bytes, created_at AS createdAt';

export class DatasetsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly byShaStmt;
  private readonly listStmt;
  private readonly removeStmt;

  constructor(private readonly ctx: RepoContext) {
    const { db } = ctx;
    this.insertStmt = db.prepare(
      `INSERT INTO datasets (sha256, name, format, rows, path, source_path, bytes, created_at)
       VALUES (@sha256, @name, @format, @rows, @path, @sourcePath, @bytes, @now)
       ON CONFLICT (sha256) DO NOTHING`,
    );
    this.getStmt = db.prepare<DatasetRecord>(`SELECT ${COLUMNS} FROM datasets WHERE id = ?`);
    this.byShaStmt = db.prepare<DatasetRecord>(`SELECT ${COLUMNS} FROM datasets WHERE sha256 = ?`);
    this.listStmt = db.prepare<DatasetRecord>(`SELECT ${COLUMNS} FROM datasets ORDER BY created_at DESC, id DESC`);
    this.removeStmt = db.prepare('DELETE FROM datasets WHERE id = ?');
  }

  /**
   * Records an imported dataset. The same content imported twice is one dataset: if `sha256`
   * is already known, the existing record is returned unchanged.
   */
  add(d: NewDataset): DatasetRecord {
    return this.ctx.db.transaction(() => {
      this.insertStmt.run({
        sha256: d.sha256,
        name: d.name,
        format: d.format,
        rows: d.rows,
        path: d.path,
        sourcePath: d.sourcePath,
        bytes: d.bytes,
        now: this.ctx.now(),
      });
      const row = this.byShaStmt.get(d.sha256);
      if (row === undefined) throw new Error('dataset row vanished inside its own transaction'); // cannot happen
      return row;
    })();
  }

  get(id: number): DatasetRecord | null {
    return this.getStmt.get(id) ?? null;
  }

  getBySha256(sha256: string): DatasetRecord | null {
    return this.byShaStmt.get(sha256) ?? null;
  }

  /** Newest first. */
  list(): DatasetRecord[] {
    return this.listStmt.all();
  }

  remove(id: number): boolean {
    return this.removeStmt.run(id).changes > 0;
  }
}
