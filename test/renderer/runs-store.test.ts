/**
 * The runs store over a stand-in api module (the stores' only way out): the search, opening a
 * run (a slower answer for an earlier run never replaces a later one), deleting, and errors kept
 * in the api's own words.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunDetail, RunSummary } from '../../src-main/contract/index.js';
import { answers, calls, emit, listenerCount, resetFakeApi } from './fake-api.js';

vi.mock('../../src-renderer/api.js', () => import('./fake-api.js'));

const { useRunsStore } = await import('../../src-renderer/stores/runs.js');

const run = (id: string, name: string): RunSummary => ({
  id, name, status: 'done', strategy: 'category', ratio: 0.5, modelPath: '/m', totalSteps: 10, doneSteps: 10,
  op: 0.5, bwt: -0.1, backend: 'wasm', error: null, createdAt: '2026-01-01T00:00:00Z', finishedAt: null,
});
const detailOf = (r: RunSummary): RunDetail => ({
  run: r, tasks: ['a'], stages: [],
  forgetting: { accuracy: [[1]], loss: [[0.1]], probe: [null], base: { accuracy: [0], probe: null }, op: 1, bwt: null },
});

beforeEach(() => {
  setActivePinia(createPinia());
  resetFakeApi();
});

describe('runs store', () => {
  it('lists runs and searches their names, ignoring case and spaces around the text', async () => {
    answers.set('runs.list', async () => [run('1', 'Sample: reverse'), run('2', 'tiny'), run('3', 'my SAMPLE two')]);
    const s = useRunsStore();
    await s.loadList();
    expect(s.listLoaded).toBe(true);
    expect(s.filtered.map((r) => r.id)).toEqual(['1', '2', '3']);
    s.query = '  sample ';
    expect(s.filtered.map((r) => r.id)).toEqual(['1', '3']);
    s.query = 'nothing';
    expect(s.filtered).toEqual([]);
  });

  it('keeps the api’s words when the list cannot be read', async () => {
    answers.set('runs.list', async () => {
      throw new Error('Cannot reach HFT Studio at 127.0.0.1:5183.');
    });
    const s = useRunsStore();
    await s.loadList();
    expect(s.listError).toBe('Cannot reach HFT Studio at 127.0.0.1:5183.');
    expect(s.listLoaded).toBe(true);
  });

  it('shows the run asked for last, even when an earlier answer arrives after it', async () => {
    const release = new Map<string, () => void>();
    answers.set('runs.get', (p) => {
      const { runId } = p as { runId: string };
      return new Promise((done) => release.set(runId, () => done(detailOf(run(runId, `run ${runId}`)))));
    });
    const s = useRunsStore();
    const first = s.open('a');
    const second = s.open('b');
    release.get('b')?.();
    await second;
    release.get('a')?.();
    await first;
    expect(s.detail?.run.id).toBe('b');
    expect(s.loadingDetail).toBe(false);
  });

  it('deletes a run from the list and from the open page, and passes a refusal on', async () => {
    answers.set('runs.list', async () => [run('1', 'one'), run('2', 'two')]);
    answers.set('runs.get', async () => detailOf(run('2', 'two')));
    answers.set('runs.delete', async (p) => {
      if ((p as { runId: string }).runId === '1') throw new Error('run 1 is running (process 7); stop it before deleting it');
      return { deleted: true };
    });
    const s = useRunsStore();
    await s.loadList();
    await s.open('2');
    await s.remove('2');
    expect(s.list.map((r) => r.id)).toEqual(['1']);
    expect(s.detail).toBeNull();
    await expect(s.remove('1')).rejects.toThrow('run 1 is running (process 7); stop it before deleting it');
    expect(s.list.map((r) => r.id)).toEqual(['1']);
    expect(calls.filter((c) => c.method === 'runs.delete').map((c) => c.params)).toEqual([{ runId: '2' }, { runId: '1' }]);
  });

  it('reloads the list and the open run when a live run reaches a milestone, not on every step', async () => {
    let status: RunSummary['status'] = 'running';
    answers.set('runs.list', async () => [{ ...run('live', 'live run'), status }]);
    answers.set('runs.get', async () => detailOf({ ...run('live', 'live run'), status }));
    const s = useRunsStore();
    await s.loadList();
    await s.open('live');
    expect(listenerCount('run.event')).toBe(1);
    const before = calls.length;
    emit('run.event', { runId: 'live', kind: 'step', stage: 0, step: 3, loss: 1, lr: 0.001, tokensPerS: 100, memoryBytes: null });
    emit('run.event', { runId: 'live', kind: 'checkpoint', stage: 0, step: 3 });
    expect(calls.length).toBe(before);
    status = 'done';
    emit('run.event', { runId: 'live', kind: 'finished', status: 'done', error: null });
    await vi.waitFor(() => expect(s.detail?.run.status).toBe('done'));
    expect(s.list[0].status).toBe('done');
    expect(calls.slice(before).map((c) => c.method).sort()).toEqual(['runs.get', 'runs.list']);
    // Another run's milestone does not reload the open one.
    emit('run.event', { runId: 'other', kind: 'eval', afterStage: 0, task: 0, name: 'a', accuracy: 1, loss: 0.1 });
    await vi.waitFor(() => expect(calls.length).toBe(before + 3));
    expect(calls[calls.length - 1].method).toBe('runs.list');
  });
});
