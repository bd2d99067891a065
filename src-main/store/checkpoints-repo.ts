/**
 * The `checkpoints` table: complete, verified checkpoints on disk. A checkpoint is recorded only
 * after its folder and manifest are durably written (DESIGN §7), so every row here is usable
 * for resume. A step can have two checkpoints: a periodic one and the stage-end one.
 */
import type { RepoContext } from './repo-context.js';

export interface NewCheckpoint {
  /** 0-based stage index. */
  stage: number;
  /** Global optimizer steps completed when it was written. */
  step: number;
  path: string;
  /** sha256 of the checkpoint's manifest file (64 lowercase hex digits). */
  manifestSha256: string;
  /** True for the checkpoint written at the end of a stage (the one exports use). */
  stageEnd: boolean;
}

export interface CheckpointRecord extends NewCheckpoint {
  runId: string;
  createdAt: string;
}

type StoredCheckpoint = Omit<CheckpointRecord, 'stageEnd'> & { stageEnd: number };

const COLUMNS = `run_id AS runId, stage, step, path, manifest_sha256 AS manifestSha256, stage_end AS stageEnd,
  created_at AS createdAt`;

export class CheckpointsRepo {
  private readonly addStmt;
  private readonly latestStmt;
  private readonly listStmt;
  private readonly removeStmt;

  constructor(private readonly ctx: RepoContext) {
    const { db } = ctx;
    // Rewriting the checkpoint of the same step (after a resume) replaces the old row.
    this.addStmt = db.prepare(
      `INSERT INTO checkpoints (run_id, stage, step, path, manifest_sha256, stage_end, created_at)
       VALUES (@runId, @stage, @step, @path, @manifestSha256, @stageEnd, @now)
       ON CONFLICT (run_id, step, stage_end) DO UPDATE SET stage = excluded.stage, path = excluded.path,
         manifest_sha256 = excluded.manifest_sha256, created_at = excluded.created_at`,
    );
    this.latestStmt = db.prepare<StoredCheckpoint>(
      `SELECT ${COLUMNS} FROM checkpoints WHERE run_id = ? ORDER BY step DESC, stage_end DESC LIMIT 1`,
    );
    this.listStmt = db.prepare<StoredCheckpoint>(
      `SELECT ${COLUMNS} FROM checkpoints WHERE run_id = ? ORDER BY step, stage_end`,
    );
    this.removeStmt = db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND path = ?');
  }

  add(runId: string, c: NewCheckpoint): void {
    this.addStmt.run({
      runId,
      stage: c.stage,
      step: c.step,
      path: c.path,
      manifestSha256: c.manifestSha256,
      stageEnd: c.stageEnd ? 1 : 0,
      now: this.ctx.now(),
    });
  }

  /** The one to resume from: highest step; at equal step, the stage-end one. Null if none. */
  latest(runId: string): CheckpointRecord | null {
    const row = this.latestStmt.get(runId);
    return row === undefined ? null : fromStored(row);
  }

  /** Oldest first: by step, then periodic before stage-end. */
  list(runId: string): CheckpointRecord[] {
    return this.listStmt.all(runId).map(fromStored);
  }

  /** Forgets the checkpoint at `path` (after its folder was deleted). False if none matched. */
  remove(runId: string, path: string): boolean {
    return this.removeStmt.run(runId, path).changes > 0;
  }
}

function fromStored(r: StoredCheckpoint): CheckpointRecord {
  return { ...r, stageEnd: r.stageEnd === 1 };
}
