/** Steps done per stage from the run's running count, by hand. */
import { expect, it } from 'vitest';
import type { StageView } from '../../src-main/contract/index.js';
import { stageStepsDone } from '../../src-renderer/stage-progress.js';

const stage = (index: number, steps: number, status: StageView['status']): StageView => ({
  index, taskName: `t${index}`, steps, status, trainable: null, startedAt: null, finishedAt: null,
});

it('counts finished stages in full, the running one as the rest, pending ones as none', () => {
  expect(stageStepsDone([stage(0, 30, 'done'), stage(1, 12, 'running'), stage(2, 10, 'pending')], 35)).toEqual([30, 5, 0]);
  expect(stageStepsDone([stage(0, 30, 'running'), stage(1, 12, 'pending')], 0)).toEqual([0, 0]);
  // A count past the stage (a stale record) never shows more than the stage has.
  expect(stageStepsDone([stage(0, 30, 'done'), stage(1, 12, 'running')], 99)).toEqual([30, 12]);
  expect(stageStepsDone([stage(0, 30, 'done'), stage(1, 12, 'done')], 42)).toEqual([30, 12]);
});
