/**
 * What each candidate merge keeps: the forgetting matrix of a run's weights merged with the base
 * model (average, half-reset), next to the run's own (merge none), so the user can choose before
 * exporting. Evaluation runs in a trainer process (trainer/merge-eval.ts) and is recorded in
 * `merge_evals`; a merge already evaluated for every finished stage is read back, not redone.
 */
import { mergeLabel, type MergeSpec } from '../engine/merge.js';
import { BASE_MODEL_STAGE, type Store } from '../store/index.js';
import type { FromTrainer } from '../trainer/protocol.js';
import { forgettingMatrix, type Forgetting } from './forgetting.js';
import { finishedStages } from './run-weights.js';
import { LISTED, requireRun, RunError, runForgetting, storedPlan } from './runs.js';
import { startWorker, type WorkerLauncher } from './trainer-host.js';

export interface MergeCandidate {
  merge: MergeSpec;
  label: string;
  forgetting: Forgetting;
}

/** The matrix of one merge from what is recorded (the run's own evaluations for `none`). */
export function mergeForgetting(store: Store, runId: string, merge: MergeSpec): Forgetting {
  if (merge.kind === 'none') return runForgetting(store, runId);
  const run = requireRun(store, runId);
  const base = store.evals.list(runId).filter((e) => e.afterStage === BASE_MODEL_STAGE);
  return forgettingMatrix([...base, ...store.mergeEvals.list(runId, mergeLabel(merge))], storedPlan(run).job.tasks.length);
}

/** The finished stages whose row of the merge's matrix is not completely recorded yet. */
function missingStages(store: Store, runId: string, merge: MergeSpec, stages: number[], hasProbe: boolean): number[] {
  if (merge.kind === 'none') return [];
  const rows = store.mergeEvals.list(runId, mergeLabel(merge));
  // Row k holds tasks 0..k and the probe.
  return stages.filter((k) => rows.filter((r) => r.afterStage === k).length < k + 1 + (hasProbe ? 1 : 0));
}

/**
 * Evaluates (or reads back) each candidate on every finished stage of the run and returns their
 * matrices in the order given. `onMessage` sees the worker's progress messages.
 */
export async function evaluateMerges(
  store: Store,
  runId: string,
  candidates: MergeSpec[],
  onMessage: (m: FromTrainer) => void = () => {},
  launch: WorkerLauncher = startWorker,
): Promise<MergeCandidate[]> {
  const run = requireRun(store, runId, LISTED);
  const { job } = storedPlan(run);
  const stages = finishedStages(store, runId);
  if (stages.length === 0) throw new RunError(`run ${runId} has no trained weights yet: no stage has finished`);
  const todo = candidates.filter((c) => missingStages(store, runId, c, stages, job.evaluation.probe != null).length > 0);
  if (todo.length > 0) {
    const checkpoints = store.checkpoints.list(runId).filter((c) => c.stageEnd);
    const work = {
      job,
      candidates: todo,
      stages: stages.map((stage) => {
        const c = checkpoints.find((x) => x.stage === stage) as (typeof checkpoints)[number];
        return { stage, checkpoint: { path: c.path, manifestSha256: c.manifestSha256 } };
      }),
    };
    const worker = launch({ type: 'evaluate-merges', work }, (m) => {
      if (m.type === 'merge-eval') {
        store.mergeEvals.upsert(runId, { merge: m.merge, afterStage: m.afterStage, task: m.task, loss: m.loss, accuracy: m.accuracy, examples: m.examples });
      }
      onMessage(m);
    });
    const exit = await worker.exit;
    if (!exit.ok) throw new RunError(`evaluating the merges of run ${runId} failed: ${exit.reason}`);
  }
  return candidates.map((merge) => ({ merge, label: mergeLabel(merge), forgetting: mergeForgetting(store, runId, merge) }));
}
