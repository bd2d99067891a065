/**
 * The `merge_evals` table: the forgetting matrix of each candidate merge of a run (a row per
 * merge label, stage k and task i; task -1 is the prior-knowledge probe), kept so the choice of a
 * merge can be made, and revisited, without evaluating again.
 */
import { nanFromNull, type RepoContext } from './repo-context.js';
import type { EvalRow } from './evals-repo.js';

export interface MergeEvalRow extends EvalRow {
  merge: string;
}

type Stored = Omit<MergeEvalRow, 'loss'> & { loss: number | null };

export class MergeEvalsRepo {
  private readonly upsertStmt;
  private readonly listStmt;

  constructor(ctx: RepoContext) {
    const { db } = ctx;
    this.upsertStmt = db.prepare(
      `INSERT INTO merge_evals (run_id, merge, after_stage, task, loss, accuracy, examples)
       VALUES (@runId, @merge, @afterStage, @task, @loss, @accuracy, @examples)
       ON CONFLICT (run_id, merge, after_stage, task) DO UPDATE SET loss = excluded.loss,
         accuracy = excluded.accuracy, examples = excluded.examples`,
    );
    this.listStmt = db.prepare<Stored>(
      `SELECT merge, after_stage AS afterStage, task, loss, accuracy, examples
       FROM merge_evals WHERE run_id = ? AND merge = ? ORDER BY after_stage, task`,
    );
  }

  upsert(runId: string, row: MergeEvalRow): void {
    this.upsertStmt.run({ runId, ...row });
  }

  /** The rows of one merge, ordered by (afterStage, task). */
  list(runId: string, merge: string): MergeEvalRow[] {
    return this.listStmt.all(runId, merge).map((r) => ({ ...r, loss: nanFromNull(r.loss) }));
  }
}
