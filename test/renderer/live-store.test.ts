/**
 * The live store over a stand-in api module: the recorded points first, then step events added;
 * one point per step when an event and a reload overlap; a gap refetched; the run's end fetching
 * the last points while the runs store reloads the run; and the controls.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricPoint, RunDetail, RunEvent, RunSummary } from '../../src-main/contract/index.js';
import { answers, calls, emit, resetFakeApi } from './fake-api.js';

vi.mock('../../src-renderer/api.js', () => import('./fake-api.js'));

const { useLiveStore } = await import('../../src-renderer/stores/live.js');
const { useRunsStore } = await import('../../src-renderer/stores/runs.js');

const point = (step: number, loss: number, stage = 0): MetricPoint => ({ step, stage, loss, lr: 0.001, tokensPerS: 500, memoryBytes: 1024 });
const stepEvent = (runId: string, step: number, loss: number, stage = 0): RunEvent => ({ runId, kind: 'step', stage, step, loss, lr: 0.001, tokensPerS: 500, memoryBytes: 1024 });
const summary = (status: RunSummary['status']): RunSummary => ({
  id: 'r', name: 'live', status, strategy: 'category', ratio: 0.5, modelPath: '/m', totalSteps: 10, doneSteps: 3,
  op: null, bwt: null, backend: 'wasm', error: null, createdAt: '2026-01-01T00:00:00Z', finishedAt: null,
});
const detail = (status: RunSummary['status']): RunDetail => ({
  run: summary(status), tasks: ['a'], stages: [],
  forgetting: { accuracy: [[null]], loss: [[null]], probe: [null], base: { accuracy: [null], probe: null }, op: null, bwt: null },
});
/** The metrics the "database" holds: runs.metrics answers from it, honouring afterStep. */
let recorded: MetricPoint[] = [];

beforeEach(() => {
  setActivePinia(createPinia());
  resetFakeApi();
  recorded = [];
  answers.set('runs.metrics', async (p) => {
    const { afterStep } = p as { afterStep?: number };
    return recorded.filter((m) => afterStep === undefined || m.step > afterStep);
  });
});

const losses = (points: readonly MetricPoint[]): [number, number | null][] => points.map((p) => [p.step, p.loss]);

describe('live store', () => {
  it('loads the recorded points, then adds each step event of its run only', async () => {
    recorded = [point(1, 4), point(2, 3)];
    const live = useLiveStore();
    await live.open('r');
    expect(losses(live.points)).toEqual([[1, 4], [2, 3]]);
    emit('run.event', stepEvent('r', 3, 2.5));
    emit('run.event', stepEvent('other', 3, 9));
    expect(losses(live.points)).toEqual([[1, 4], [2, 3], [3, 2.5]]);
    expect(live.lastStep).toBe(3);
    expect(live.samples.map((s) => s.step)).toEqual([3]);
    expect(calls.filter((c) => c.method === 'runs.metrics')).toHaveLength(1);
  });

  it('keeps one point per step when events arrive while the first load is on its way', async () => {
    recorded = [point(1, 4), point(2, 3), point(3, 2.5)];
    let release: () => void = () => undefined;
    answers.set('runs.metrics', (p) => new Promise((done) => (release = () => done(recorded.filter((m) => (p as { afterStep?: number }).afterStep === undefined || m.step > (p as { afterStep: number }).afterStep)))));
    const live = useLiveStore();
    const opening = live.open('r');
    // Steps 3 and 4 arrive live before the answer, which also holds step 3.
    emit('run.event', stepEvent('r', 3, 2.5));
    emit('run.event', stepEvent('r', 4, 2));
    release();
    await opening;
    expect(losses(live.points)).toEqual([[1, 4], [2, 3], [3, 2.5], [4, 2]]);
  });

  it('fetches the missing steps after a gap, without duplicating what it holds', async () => {
    recorded = [point(1, 4), point(2, 3)];
    const live = useLiveStore();
    await live.open('r');
    // The connection dropped during steps 3–4; the database has them.
    recorded.push(point(3, 2.5), point(4, 2.2), point(5, 2));
    emit('run.event', stepEvent('r', 5, 2));
    await vi.waitFor(() => expect(live.points).toHaveLength(5));
    expect(losses(live.points)).toEqual([[1, 4], [2, 3], [3, 2.5], [4, 2.2], [5, 2]]);
    expect(calls.filter((c) => c.method === 'runs.metrics').map((c) => c.params)).toEqual([{ runId: 'r' }, { runId: 'r', afterStep: 2 }]);
  });

  it('takes the newer point when a resumed run redoes a step, and restarts the clock', async () => {
    recorded = [point(1, 4), point(2, 3), point(3, 2.5)];
    const live = useLiveStore();
    await live.open('r');
    emit('run.event', stepEvent('r', 4, 2.4));
    emit('run.event', stepEvent('r', 3, 2.6)); // resumed from the checkpoint at step 2
    expect(losses(live.points)).toEqual([[1, 4], [2, 3], [3, 2.6], [4, 2.4]]);
    expect(live.samples.map((s) => s.step)).toEqual([3]);
  });

  it('at the end fetches the last points and the runs store reloads the run', async () => {
    recorded = [point(1, 4)];
    let status: RunSummary['status'] = 'running';
    answers.set('runs.get', async () => detail(status));
    const runs = useRunsStore();
    const live = useLiveStore();
    await runs.open('r');
    await live.open('r');
    emit('run.event', stepEvent('r', 2, 3));
    emit('run.event', { runId: 'r', kind: 'paused', step: 2 });
    expect(live.held).toBe(true);
    expect(live.samples).toEqual([]);
    // Step 3 was recorded but its event never came; then the trainer ended.
    recorded.push(point(2, 3), point(3, 2));
    status = 'done';
    emit('run.event', { runId: 'r', kind: 'finished', status: 'done', error: null });
    await vi.waitFor(() => expect(runs.detail?.run.status).toBe('done'));
    await vi.waitFor(() => expect(losses(live.points)).toEqual([[1, 4], [2, 3], [3, 2]]));
    expect(live.held).toBe(false);
    expect(calls.filter((c) => c.method === 'runs.metrics').map((c) => c.params)).toEqual([{ runId: 'r' }, { runId: 'r', afterStep: 2 }]);
  });

  it('sends the controls for the open run and shows a refusal in its own words', async () => {
    answers.set('runs.get', async () => detail('paused'));
    answers.set('runs.pause', async () => ({}));
    answers.set('runs.stop', async () => {
      throw new Error('run r is not running here');
    });
    const live = useLiveStore();
    await live.open('r');
    await live.control('pause');
    expect(live.actionError).toBeNull();
    expect(calls.filter((c) => c.method === 'runs.pause').map((c) => c.params)).toEqual([{ runId: 'r' }]);
    // After a control the run is read again (its status changes).
    expect(calls.some((c) => c.method === 'runs.get')).toBe(true);
    await live.control('stop');
    expect(live.actionError).toBe('run r is not running here');
    expect(live.busy).toBeNull();
  });

  it('starts afresh for another run, and drops a slow answer for the run left', async () => {
    let release: () => void = () => undefined;
    answers.set('runs.metrics', (p) =>
      (p as { runId: string }).runId === 'slow' ? new Promise((done) => (release = () => done([point(1, 9)]))) : Promise.resolve([point(1, 1)]),
    );
    const live = useLiveStore();
    const first = live.open('slow');
    await live.open('fast');
    release();
    await first;
    expect(live.runId).toBe('fast');
    expect(losses(live.points)).toEqual([[1, 1]]);
  });
});
