/**
 * Metrics, evals and checkpoints repositories: idempotent upserts (a resumed run re-sends its
 * rows), ordering, NaN surviving SQLite, and which checkpoint counts as the latest.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRIOR_KNOWLEDGE_TASK, type MetricInput, type Store } from '../../src-main/store/index.js';
import { freshStore, sampleRun, SHA_A, SHA_B, tempFolder } from './helpers.js';

const nextFile = tempFolder('store-metrics');
let store: Store;
beforeEach(() => {
  store = freshStore(nextFile);
  store.runs.create(sampleRun('r'));
  store.runs.create(sampleRun('other'));
});
afterEach(() => store.close());

function metric(step: number, extra: Partial<MetricInput> = {}): MetricInput {
  return { step, stage: step <= 3 ? 0 : 1, loss: 3 - step / 10, lr: 1e-4 * step, gradNorm: 0.5 + step, tokens: 100 + step, ms: 20.5, tokensPerS: 4878.05, memoryBytes: 1_000_000 * step, ...extra };
}

describe('metrics', () => {
  it('round-trips rows in step order whatever the insert order; other runs stay separate', () => {
    const rows = [metric(3), metric(1), metric(5), metric(2), metric(4)];
    store.metrics.upsertMany('r', rows);
    store.metrics.upsertMany('other', [metric(1, { loss: 99 })]);
    expect(store.metrics.list('r')).toEqual([1, 2, 3, 4, 5].map((s) => metric(s)));
    expect(store.metrics.count('r')).toBe(5);
    expect(store.metrics.lastStep('r')).toBe(5);
    expect(store.metrics.list('other')).toEqual([metric(1, { loss: 99 })]);
  });

  it('afterStep returns only later steps (live tailing)', () => {
    store.metrics.upsertMany('r', [1, 2, 3, 4, 5].map((s) => metric(s)));
    expect(store.metrics.list('r', { afterStep: 3 }).map((m) => m.step)).toEqual([4, 5]);
    expect(store.metrics.list('r', { afterStep: 5 })).toEqual([]);
  });

  it('an empty run has no rows, count 0 and lastStep 0', () => {
    expect(store.metrics.list('r')).toEqual([]);
    expect(store.metrics.count('r')).toBe(0);
    expect(store.metrics.lastStep('r')).toBe(0);
  });

  it('re-sending the same steps (a resume) is idempotent; a changed value replaces the old one', () => {
    const rows = [1, 2, 3, 4].map((s) => metric(s));
    store.metrics.upsertMany('r', rows);
    store.metrics.upsertMany('r', rows.slice(2)); // resumed from the checkpoint at step 2
    store.metrics.upsertMany('r', rows);
    expect(store.metrics.count('r')).toBe(4);
    expect(store.metrics.list('r')).toEqual(rows);
    store.metrics.upsertMany('r', [metric(2, { loss: 0.125 })]);
    expect(store.metrics.list('r')[1].loss).toBe(0.125);
    expect(store.metrics.count('r')).toBe(4);
  });

  it('keeps NaN and ±Infinity, and a missing memoryBytes reads back as null', () => {
    store.metrics.upsertMany('r', [
      { step: 1, stage: 0, loss: Number.NaN, lr: 1e-3, gradNorm: Number.POSITIVE_INFINITY, tokens: 8, ms: 0, tokensPerS: Number.NaN },
      metric(2, { loss: Number.NEGATIVE_INFINITY, memoryBytes: null }),
    ]);
    const [a, b] = store.metrics.list('r');
    expect(a.loss).toBeNaN();
    expect(a.gradNorm).toBe(Number.POSITIVE_INFINITY);
    expect(a.tokensPerS).toBeNaN();
    expect(a.memoryBytes).toBeNull();
    expect(b.loss).toBe(Number.NEGATIVE_INFINITY);
    expect(b.memoryBytes).toBeNull();
  });

  it('upsertMany is one transaction: a bad row leaves none of the batch', () => {
    store.metrics.upsertMany('r', [metric(1)]);
    expect(() => store.metrics.upsertMany('r', [metric(2), metric(3), metric(0)])).toThrow(/CHECK constraint failed/);
    expect(store.metrics.list('r').map((m) => m.step)).toEqual([1]);
  });
});

describe('evals', () => {
  it('round-trips the forgetting matrix ordered by (afterStage, task), probe first', () => {
    const cells = [
      { afterStage: 1, task: 1, loss: 0.9, accuracy: 0.8, examples: 10 },
      { afterStage: 0, task: 0, loss: 1.1, accuracy: 0.6, examples: 10 },
      { afterStage: 1, task: PRIOR_KNOWLEDGE_TASK, loss: 2.2, accuracy: null, examples: 32 },
      { afterStage: 1, task: 0, loss: 1.4, accuracy: 0.5, examples: 10 },
      { afterStage: 0, task: PRIOR_KNOWLEDGE_TASK, loss: 2.0, accuracy: null, examples: 32 },
    ];
    for (const c of cells) store.evals.upsert('r', c);
    const sorted = [...cells].sort((x, y) => x.afterStage - y.afterStage || x.task - y.task);
    expect(store.evals.list('r')).toEqual(sorted);
    expect(store.evals.list('other')).toEqual([]);
  });

  it('upsert replaces the same cell instead of adding one; NaN loss survives', () => {
    store.evals.upsert('r', { afterStage: 0, task: 0, loss: 1, accuracy: 0.5, examples: 4 });
    store.evals.upsert('r', { afterStage: 0, task: 0, loss: 1, accuracy: 0.5, examples: 4 });
    store.evals.upsert('r', { afterStage: 0, task: 0, loss: Number.NaN, accuracy: 0.25, examples: 8 });
    const rows = store.evals.list('r');
    expect(rows).toHaveLength(1);
    expect(rows[0].loss).toBeNaN();
    expect(rows[0]).toMatchObject({ accuracy: 0.25, examples: 8 });
  });

  it('refuses a task index below the probe', () => {
    expect(() => store.evals.upsert('r', { afterStage: 0, task: -2, loss: 1, accuracy: null, examples: 1 })).toThrow(/CHECK/);
  });
});

describe('checkpoints', () => {
  const ck = (step: number, stageEnd: boolean, stage = 0) => ({ stage, step, path: `/runs/r/stage-${stage}/step-${step}${stageEnd ? '-end' : ''}`, manifestSha256: SHA_A, stageEnd });

  it('latest is the highest step; at equal step the stage-end one, whatever the insert order', () => {
    expect(store.checkpoints.latest('r')).toBeNull();
    store.checkpoints.add('r', ck(10, true));
    store.checkpoints.add('r', ck(20, true, 1));
    store.checkpoints.add('r', ck(15, false, 1));
    store.checkpoints.add('r', ck(20, false, 1));
    expect(store.checkpoints.latest('r')).toMatchObject({ ...ck(20, true, 1), runId: 'r' });
    store.checkpoints.add('r', ck(25, false, 1));
    expect(store.checkpoints.latest('r')).toMatchObject(ck(25, false, 1));
    expect(store.checkpoints.latest('other')).toBeNull();
  });

  it('list is oldest first with booleans and timestamps; remove by path', () => {
    store.checkpoints.add('r', ck(20, true, 1));
    store.checkpoints.add('r', ck(10, false));
    store.checkpoints.add('r', ck(20, false, 1));
    const list = store.checkpoints.list('r');
    expect(list.map((c) => [c.step, c.stageEnd])).toEqual([[10, false], [20, false], [20, true]]);
    expect(list[0]).toEqual({ ...ck(10, false), runId: 'r', createdAt: expect.stringMatching(/^2024-01-01T00:00:\d\d\.000Z$/) });
    expect(store.checkpoints.remove('r', ck(20, true, 1).path)).toBe(true);
    expect(store.checkpoints.remove('r', ck(20, true, 1).path)).toBe(false);
    expect(store.checkpoints.remove('other', ck(10, false).path)).toBe(false);
    expect(store.checkpoints.latest('r')).toMatchObject(ck(20, false, 1));
  });

  it('re-adding the same (step, stageEnd) after a resume replaces the record', () => {
    store.checkpoints.add('r', ck(10, false));
    store.checkpoints.add('r', { ...ck(10, false), path: '/new/place', manifestSha256: SHA_B });
    expect(store.checkpoints.list('r')).toEqual([expect.objectContaining({ step: 10, path: '/new/place', manifestSha256: SHA_B })]);
  });

  it('refuses a manifest hash that is not 64 lowercase hex digits', () => {
    expect(() => store.checkpoints.add('r', { ...ck(1, false), manifestSha256: SHA_A.toUpperCase() })).toThrow(/CHECK/);
  });
});
