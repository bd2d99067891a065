/**
 * The `models` table: base models the user has imported (a local Hugging Face folder each).
 * A folder is known once: importing the same path again refreshes its details.
 */
import type { RepoContext } from './repo-context.js';

export interface NewModel {
  /** The model folder; unique. */
  path: string;
  name: string;
  /** config.json's model_type: llama, mistral, qwen2. */
  architecture: string;
  /** Total parameter count. */
  params: number;
}

export interface ModelRecord extends NewModel {
  id: number;
  createdAt: string;
}

const COLUMNS = 'id, path, name, architecture, params, created_at AS createdAt';

export class ModelsRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly byPathStmt;
  private readonly listStmt;
  private readonly removeStmt;

  constructor(private readonly ctx: RepoContext) {
    const { db } = ctx;
    this.upsertStmt = db.prepare<ModelRecord>(
      `INSERT INTO models (path, name, architecture, params, created_at)
       VALUES (@path, @name, @architecture, @params, @now)
       ON CONFLICT (path) DO UPDATE SET name = excluded.name, architecture = excluded.architecture,
         params = excluded.params
       RETURNING ${COLUMNS}`,
    );
    this.getStmt = db.prepare<ModelRecord>(`SELECT ${COLUMNS} FROM models WHERE id = ?`);
    this.byPathStmt = db.prepare<ModelRecord>(`SELECT ${COLUMNS} FROM models WHERE path = ?`);
    this.listStmt = db.prepare<ModelRecord>(`SELECT ${COLUMNS} FROM models ORDER BY created_at DESC, id DESC`);
    this.removeStmt = db.prepare('DELETE FROM models WHERE id = ?');
  }

  /** Adds the model, or updates the one already at `path` (keeping its id and createdAt). */
  upsert(m: NewModel): ModelRecord {
    const row = this.upsertStmt.get({
      path: m.path,
      name: m.name,
      architecture: m.architecture,
      params: m.params,
      now: this.ctx.now(),
    });
    if (row === undefined) throw new Error('INSERT ... RETURNING returned no row'); // cannot happen
    return row;
  }

  get(id: number): ModelRecord | null {
    return this.getStmt.get(id) ?? null;
  }

  getByPath(path: string): ModelRecord | null {
    return this.byPathStmt.get(path) ?? null;
  }

  /** Newest first. */
  list(): ModelRecord[] {
    return this.listStmt.all();
  }

  remove(id: number): boolean {
    return this.removeStmt.run(id).changes > 0;
  }
}

