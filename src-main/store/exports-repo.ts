/**
 * The `exports` table: every model folder an export wrote (HF safetensors, or GGUF + Modelfile),
 * with the stage and merge it holds. A row is added only after the folder is complete.
 */
import type { RepoContext } from './repo-context.js';

export interface NewExport {
  path: string;
  format: 'safetensors' | 'gguf';
  /** engine/merge.ts's label: none, average(alpha=0.5), half-reset(seed=0). */
  merge: string;
  /** 0-based stage whose weights were exported. */
  stage: number;
  bytes: number;
  /** F32, F16 or Q8_0 for GGUF; null for safetensors (source dtypes). */
  ggufType: string | null;
}

export interface ExportRecord extends NewExport {
  id: number;
  runId: string;
  createdAt: string;
}

const COLUMNS = `id, run_id AS runId, path, format, merge, stage, bytes, gguf_type AS ggufType, created_at AS createdAt`;

export class ExportsRepo {
  private readonly addStmt;
  private readonly listStmt;

  constructor(private readonly ctx: RepoContext) {
    const { db } = ctx;
    this.addStmt = db.prepare<ExportRecord>(
      `INSERT INTO exports (run_id, path, format, merge, stage, bytes, gguf_type, created_at)
       VALUES (@runId, @path, @format, @merge, @stage, @bytes, @ggufType, @now) RETURNING ${COLUMNS}`,
    );
    this.listStmt = db.prepare<ExportRecord>(`SELECT ${COLUMNS} FROM exports WHERE run_id = ? ORDER BY id`);
  }

  add(runId: string, e: NewExport): ExportRecord {
    const row = this.addStmt.get({ runId, ...e, now: this.ctx.now() });
    if (row === undefined) throw new Error('INSERT ... RETURNING returned no row'); // cannot happen
    return row;
  }

  /** Oldest first. */
  list(runId: string): ExportRecord[] {
    return this.listStmt.all(runId);
  }
}
