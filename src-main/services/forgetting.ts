/**
 * The forgetting matrix and its two summary numbers (PAPER.md, "Metrics"):
 *   R[k][i]  score on task i after training stage k (i <= k; later tasks are not seen yet)
 *   OP  = mean_i R[T-1][i]                         overall performance after the last stage
 *   BWT = mean_{i < T-1} (R[T-1][i] - R[i][i])     backward transfer; negative = forgetting
 * The base model's scores (afterStage -1) are kept apart, as the 'before' row; they are not in R.
 * The score is exact-match accuracy. A task without checkable answers has no accuracy; it is left
 * out of OP and BWT (both are null when no task counts, and BWT needs at least two tasks).
 */
import type { ForgettingView } from '../contract/index.js';
import { BASE_MODEL_STAGE, PRIOR_KNOWLEDGE_TASK } from '../store/index.js';

export interface EvalCell {
  afterStage: number;
  /** Task index; the probe (-1) is not part of R. */
  task: number;
  loss: number | null;
  accuracy: number | null;
}

/** The matrix as the app and the CLI show it (the contract's ForgettingView). */
export type Forgetting = ForgettingView;

export function forgettingMatrix(cells: readonly EvalCell[], tasks: number): Forgetting {
  const grid = () => Array.from({ length: tasks }, () => new Array<number | null>(tasks).fill(null));
  const accuracy = grid();
  const loss = grid();
  const probe = new Array<number | null>(tasks).fill(null);
  const base = { accuracy: new Array<number | null>(tasks).fill(null), probe: null as number | null };
  for (const c of cells) {
    if (c.afterStage === BASE_MODEL_STAGE) {
      if (c.task === PRIOR_KNOWLEDGE_TASK) base.probe = c.accuracy;
      else if (c.task < tasks) base.accuracy[c.task] = c.accuracy;
      continue;
    }
    if (c.afterStage < 0 || c.afterStage >= tasks) continue;
    if (c.task < 0) {
      probe[c.afterStage] = c.accuracy;
    } else if (c.task < tasks) {
      accuracy[c.afterStage][c.task] = c.accuracy;
      loss[c.afterStage][c.task] = c.loss != null && Number.isFinite(c.loss) ? c.loss : null; // NaN (no rows) is not a loss
    }
  }
  const last = tasks - 1;
  const final = tasks > 0 ? accuracy[last] : [];
  const scored = final.map((v, i) => (v == null ? null : i)).filter((i): i is number => i !== null);
  const op = scored.length === 0 ? null : mean(scored.map((i) => final[i] as number));
  const earlier = scored.filter((i) => i < last && accuracy[i][i] != null);
  const bwt = earlier.length === 0 ? null : mean(earlier.map((i) => (final[i] as number) - (accuracy[i][i] as number)));
  return { accuracy, loss, probe, base, op, bwt };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
