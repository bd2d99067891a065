/**
 * The `evals` table: after stage k, how well the model does on task i (loss and exact-match
 * accuracy). These rows are the forgetting matrix. Task -1 is the prior-knowledge probe.
 */
import { nanFromNull, type RepoContext } from './repo-context.js';

/** The task index of the prior-knowledge probe (general text the base model already knew). */
export const PRIOR_KNOWLEDGE_TASK = -1;

/** The `afterStage` of the base model's evaluation, before the first stage. */
export const BASE_MODEL_STAGE = -1;

export interface EvalRow {
  /** 0-based index of the stage just finished; BASE_MODEL_STAGE (-1) for the model before any training. */
  afterStage: number;
  /** 0-based task index, or PRIOR_KNOWLEDGE_TASK. */
  task: number;
  loss: number;
  /** Exact-match accuracy in [0, 1]; null where the task has no exact answer to match. */
  accuracy: number | null;
  examples: number;
}

type StoredEval = Omit<EvalRow, 'loss'> & { loss: number | null };

export class EvalsRepo {
  private readonly upsertStmt;
  private readonly listStmt;

  constructor(ctx: RepoContext) {
    const { db } = ctx;
    this.upsertStmt = db.prepare(
      `INSERT INTO evals (run_id, after_stage, task, loss, accuracy, examples)
       VALUES (@runId, @afterStage, @task, @loss, @accuracy, @examples)
       ON CONFLICT (run_id, after_stage, task) DO UPDATE SET loss = excluded.loss,
         accuracy = excluded.accuracy, examples = excluded.examples`,
    );
    this.listStmt = db.prepare<StoredEval>(
      `SELECT after_stage AS afterStage, task, loss, accuracy, examples
       FROM evals WHERE run_id = ? ORDER BY after_stage, task`,
    );
  }

  /** Writes one cell of the matrix, replacing an earlier value (a resumed run re-evaluates). */
  upsert(runId: string, row: EvalRow): void {
    this.upsertStmt.run({
      runId,
      afterStage: row.afterStage,
      task: row.task,
      loss: row.loss,
      accuracy: row.accuracy,
      examples: row.examples,
    });
  }

  /** The run's rows ordered by (afterStage, task). */
  list(runId: string): EvalRow[] {
    return this.listStmt.all(runId).map((r) => ({ ...r, loss: nanFromNull(r.loss) }));
  }
}
