/**
 * The `stages` table: the ordered tasks of a run, and for each the mask it trained with and
 * whether it is pending, running or done. Stage indices are 0-based positions in the plan.
 */
import { StoreError } from './errors.js';
import type { RepoContext } from './repo-context.js';

export const STAGE_STATUSES = ['pending', 'running', 'done'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export interface PlannedStage {
  taskName: string;
  datasetSha256: string;
  steps: number;
}

export interface StageRecord extends PlannedStage {
  runId: string;
  idx: number;
  /** The `hft mask` JSON the stage trained with; null until it starts. */
  maskJson: string | null;
  status: StageStatus;
  startedAt: string | null;
  finishedAt: string | null;
}

const COLUMNS = `run_id AS runId, idx, task_name AS taskName, dataset_sha256 AS datasetSha256, steps,
  mask_json AS maskJson, status, started_at AS startedAt, finished_at AS finishedAt`;

export class StagesRepo {
  private readonly insertStmt;
  private readonly startStmt;
  private readonly finishStmt;
  private readonly getStmt;
  private readonly listStmt;

  constructor(private readonly ctx: RepoContext) {
    const { db } = ctx;
    this.insertStmt = db.prepare(
      `INSERT INTO stages (run_id, idx, task_name, dataset_sha256, steps)
       VALUES (@runId, @idx, @taskName, @datasetSha256, @steps)`,
    );
    // A resumed run starts its interrupted stage again: keep the first start time.
    this.startStmt = db.prepare(
      `UPDATE stages SET status = 'running', mask_json = @maskJson, started_at = COALESCE(started_at, @now),
         finished_at = NULL
       WHERE run_id = @runId AND idx = @idx`,
    );
    this.finishStmt = db.prepare(
      `UPDATE stages SET status = 'done', finished_at = @now WHERE run_id = @runId AND idx = @idx`,
    );
    this.getStmt = db.prepare<StageRecord>(`SELECT ${COLUMNS} FROM stages WHERE run_id = ? AND idx = ?`);
    this.listStmt = db.prepare<StageRecord>(`SELECT ${COLUMNS} FROM stages WHERE run_id = ? ORDER BY idx`);
  }

  /** Records a run's stages as 'pending', idx = position in `stages`; all or nothing. */
  insertPlanned(runId: string, stages: readonly PlannedStage[]): void {
    this.ctx.db.transaction(() => {
      stages.forEach((s, idx) => {
        this.insertStmt.run({ runId, idx, taskName: s.taskName, datasetSha256: s.datasetSha256, steps: s.steps });
      });
    })();
  }

  /** Marks stage `idx` running with the mask it trains under. */
  start(runId: string, idx: number, maskJson: string): void {
    this.expectOne(runId, idx, this.startStmt.run({ runId, idx, maskJson, now: this.ctx.now() }).changes);
  }

  finish(runId: string, idx: number): void {
    this.expectOne(runId, idx, this.finishStmt.run({ runId, idx, now: this.ctx.now() }).changes);
  }

  get(runId: string, idx: number): StageRecord | null {
    return this.getStmt.get(runId, idx) ?? null;
  }

  /** The run's stages in plan order. */
  list(runId: string): StageRecord[] {
    return this.listStmt.all(runId);
  }

  private expectOne(runId: string, idx: number, changes: number): void {
    if (changes === 0) {
      const { file } = this.ctx;
      throw new StoreError('NOT_FOUND', file, `${file}: run ${JSON.stringify(runId)} has no stage ${idx}`);
    }
  }
}
