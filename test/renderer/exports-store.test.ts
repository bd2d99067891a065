/**
 * The exports store over a stand-in api module: progress only from this run's jobs, the result,
 * a "folder is not empty" refusal answered by the same request with force, and merge comparison.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExportView, ForgettingView, MergeView } from '../../src-main/contract/index.js';
import { answers, calls, emit, resetFakeApi } from './fake-api.js';

vi.mock('../../src-renderer/api.js', () => import('./fake-api.js'));

const { useExportsStore } = await import('../../src-renderer/stores/exports.js');

const view: ExportView = { out: '/out/m', files: ['/out/m/model.gguf', '/out/m/Modelfile'], format: 'gguf', merge: 'none', stage: 2, bytes: 2048, warnings: [] };
const request = { runId: 'r', out: '/out/m', format: 'gguf' as const, ggufType: 'F16' as const, merge: 'none' as const };
const forgetting: ForgettingView = { accuracy: [[1]], loss: [[0.1]], probe: [null], base: { accuracy: [0], probe: null }, op: 1, bwt: null };

beforeEach(() => {
  setActivePinia(createPinia());
  resetFakeApi();
});

describe('exports store', () => {
  it('follows the progress of this run’s export only, and keeps the result', async () => {
    let release: () => void = () => undefined;
    answers.set('exports.create', () => new Promise((ok) => (release = () => ok(view))));
    const s = useExportsStore();
    s.open('r');
    const exporting = s.create(request);
    expect(s.exporting).toBe(true);
    emit('job.progress', { runId: 'r', job: 'export', done: 3, total: 10 });
    emit('job.progress', { runId: 'other', job: 'export', done: 9, total: 10 });
    emit('job.progress', { runId: 'r', job: 'merges', done: 1, total: 4 }); // no merge comparison is running
    expect(s.exportProgress).toEqual({ runId: 'r', job: 'export', done: 3, total: 10 });
    expect(s.mergesProgress).toBeNull();
    release();
    await exporting;
    expect(s.exporting).toBe(false);
    expect(s.result).toEqual(view);
    expect(s.exportError).toBeNull();
  });

  it('offers to replace a folder that is not empty, and retries the same request with force', async () => {
    answers.set('exports.create', async (p) => {
      // The app's words for it (services/outputs.ts).
      if ((p as { force?: boolean }).force !== true) throw new Error('the folder /out/m already has files in it; choose a new or empty folder, or allow replacing it');
      return view;
    });
    const s = useExportsStore();
    s.open('r');
    await s.create(request);
    expect(s.folderNotEmpty).toBe(true);
    expect(s.result).toBeNull();
    await s.replaceAndRetry();
    expect(calls.filter((c) => c.method === 'exports.create').map((c) => c.params)).toEqual([request, { ...request, force: true }]);
    expect(s.folderNotEmpty).toBe(false);
    expect(s.exportError).toBeNull();
    expect(s.result).toEqual(view);
  });

  it('passes other refusals on in their own words, without offering to replace anything', async () => {
    answers.set('exports.create', async () => {
      throw new Error('the disk is full: the export to /out/m did not fit and nothing was left behind; free some space and export again');
    });
    const s = useExportsStore();
    s.open('r');
    await s.create(request);
    expect(s.exportError).toMatch(/^the disk is full/);
    expect(s.folderNotEmpty).toBe(false);
  });

  it('compares merges with the chosen weight, following only that job’s progress', async () => {
    const merges: MergeView[] = [
      { label: 'none', kind: 'none', forgetting },
      { label: 'average(alpha=0.3)', kind: 'average', forgetting },
    ];
    let release: () => void = () => undefined;
    answers.set('merges.evaluate', () => new Promise((ok) => (release = () => ok(merges))));
    const s = useExportsStore();
    s.open('r');
    const comparing = s.compareMerges(0.3);
    emit('job.progress', { runId: 'r', job: 'merges', done: 2, total: 6 });
    emit('job.progress', { runId: 'r', job: 'export', done: 1, total: 6 });
    expect(s.mergesProgress?.done).toBe(2);
    expect(s.exportProgress).toBeNull();
    release();
    await comparing;
    expect(calls.find((c) => c.method === 'merges.evaluate')?.params).toEqual({ runId: 'r', alpha: 0.3 });
    expect(s.merges).toEqual(merges);
    expect(s.mergesBusy).toBe(false);
  });

  it('forgets one run’s results when another is opened', async () => {
    answers.set('exports.create', async () => view);
    const s = useExportsStore();
    s.open('r');
    await s.create(request);
    s.open('r');
    expect(s.result).toEqual(view);
    s.open('other');
    expect(s.result).toBeNull();
    expect(s.lastRequest).toBeNull();
  });
});
