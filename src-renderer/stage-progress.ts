/**
 * How many optimizer steps each stage of a run has done. The run counts steps across all its
 * stages (RunSummary.doneSteps), and stages run one after another, so a running stage has done
 * what is left after the stages before it.
 */
import type { StageView } from '../src-main/contract/index.js';

export function stageStepsDone(stages: readonly StageView[], doneSteps: number): number[] {
  let before = 0;
  return stages.map((s) => {
    const done = s.status === 'done' ? s.steps : s.status === 'pending' ? 0 : Math.min(s.steps, Math.max(0, doneSteps - before));
    before += s.steps;
    return done;
  });
}
