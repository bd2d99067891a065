/**
 * Merge evaluation in a trainer process: the forgetting matrix of each candidate merge. Checked
 * against the run's own evaluations, which a separate code path recorded: the average with alpha 1
 * is the fine-tuned model (its matrix must equal the run's), with alpha 0 it is the base model
 * (every cell must equal the base model's score on that task). Results are kept and read back.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateMerges } from '../../src-main/services/merge-evals.js';
import { runForgetting } from '../../src-main/services/runs.js';
import { prepareRun, readPlan } from '../../src-main/services/run-prepare.js';
import { openStore, type Store } from '../../src-main/store/index.js';
import { finishTinyRun, tinyRun, type TinyRun } from './tiny-run.js';

let t: TinyRun;
let store: Store;
let runId: string;

beforeAll(async () => {
  t = tinyRun();
  store = openStore(t.db);
  runId = await finishTinyRun(store, t);
}, 300_000);
afterAll(() => {
  store?.close();
  rmSync(t.root, { recursive: true, force: true });
});

describe('merge evaluation', () => {
  it('alpha 1 reproduces the run\'s matrix, alpha 0 the base model\'s scores in every cell; half-reset differs', async () => {
    const seen: string[] = [];
    const [none, one, zero, half] = await evaluateMerges(
      store,
      runId,
      [{ kind: 'none' }, { kind: 'average', alpha: 1 }, { kind: 'average', alpha: 0 }, { kind: 'half-reset', seed: 1 }],
      (m) => seen.push(m.type),
    );
    expect(none.forgetting).toEqual(runForgetting(store, runId));
    expect(one.forgetting.accuracy).toEqual(none.forgetting.accuracy);
    expect(one.forgetting.loss).toEqual(none.forgetting.loss);
    expect([one.forgetting.op, one.forgetting.bwt]).toEqual([none.forgetting.op, none.forgetting.bwt]);
    const baseLoss = store.evals.list(runId).filter((e) => e.afterStage === -1);
    zero.forgetting.loss.forEach((row, k) => row.forEach((v, i) => expect(v, `R[${k}][${i}]`).toBe(i <= k ? baseLoss[i].loss : null)));
    zero.forgetting.accuracy.forEach((row, k) => row.forEach((v, i) => expect(v).toBe(i <= k ? zero.forgetting.base.accuracy[i] : null)));
    expect(half.label).toBe('half-reset(seed=1)');
    expect(half.forgetting.loss[1][1]).not.toBe(none.forgetting.loss[1][1]);
    // 3 merged candidates x (stage 1: 1 task, stage 2: 2 tasks); no probe in this plan.
    expect(seen.filter((s) => s === 'merge-eval')).toHaveLength(9);
    expect(seen.at(-1)).toBe('done');
  }, 300_000);

  it('reads evaluated merges back without starting a worker', async () => {
    const seen: string[] = [];
    const [again] = await evaluateMerges(store, runId, [{ kind: 'half-reset', seed: 1 }], (m) => seen.push(m.type));
    expect(seen).toEqual([]);
    expect(store.mergeEvals.list(runId, 'half-reset(seed=1)')).toHaveLength(3);
    expect(again.forgetting.op).not.toBeNull();
  });

  it('a run without finished stages is refused in plain words', async () => {
    const fresh = prepareRun(store, t.home, readPlan(t.plan)).runId;
    await expect(evaluateMerges(store, fresh, [{ kind: 'average', alpha: 0.5 }])).rejects.toThrow(/no trained weights yet/);
  });
});
