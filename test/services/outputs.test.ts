/**
 * The app's merge evaluation and export (services/outputs.ts) on a finished tiny run. Checked
 * against what other code paths recorded or wrote: the 'none' candidate is the run's own
 * forgetting matrix (recorded by the run), the progress total is counted by hand from the plan, the
 * exported files are measured on disk and read back with our safetensors reader against the
 * stage's checkpoint weights.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../src-main/contract/index.js';
import { openModelWeights } from '../../src-main/formats/safetensors/index.js';
import { evaluateMergesForApp, exportForApp } from '../../src-main/services/outputs.js';
import { runWeights } from '../../src-main/services/run-weights.js';
import { runForgetting } from '../../src-main/services/runs.js';
import { startWorker, type WorkerLauncher } from '../../src-main/services/trainer-host.js';
import { openStore, type Store } from '../../src-main/store/index.js';
import { finishTinyRun, tinyRun, type TinyRun } from './tiny-run.js';

let t: TinyRun;
let store: Store;
let runId: string;
let outRoot: string;

/** startWorker, counting the processes it starts. */
function countingLauncher(): { launch: WorkerLauncher; started: () => number } {
  let n = 0;
  return { launch: (first, onMessage) => (n++, startWorker(first, onMessage)), started: () => n };
}

beforeAll(async () => {
  t = tinyRun();
  store = openStore(t.db);
  runId = await finishTinyRun(store, t);
  outRoot = mkdtempSync(join(tmpdir(), 'hft-outputs-'));
}, 300_000);
afterAll(() => {
  store?.close();
  rmSync(t.root, { recursive: true, force: true });
  rmSync(outRoot, { recursive: true, force: true });
});

describe('merges.evaluate', () => {
  it('gives none, average and half-reset; none is the run\'s own matrix; progress reaches the hand-counted total', async () => {
    const events: JobProgress[] = [];
    const counter = countingLauncher();
    const views = await evaluateMergesForApp(store, { runId }, (p) => events.push(p), counter.launch);
    expect(views.map((v) => [v.label, v.kind])).toEqual([
      ['none', 'none'],
      ['average(alpha=0.5)', 'average'],
      ['half-reset(seed=1)', 'half-reset'], // the plan's freeze seed
    ]);
    expect(views[0].forgetting).toEqual(runForgetting(store, runId));
    expect(views[1].forgetting.loss[1][1]).not.toBe(views[0].forgetting.loss[1][1]);
    // Two merged candidates x (stage 1: task 1; stage 2: tasks 1 and 2); the tiny plan has no probe.
    expect(events.every((e) => e.runId === runId && e.job === 'merges' && e.total === 6)).toBe(true);
    expect(events.map((e) => e.done)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(counter.started()).toBe(1);
  }, 120_000);

  it('reads recorded candidates back without a worker, and still ends its progress at the total', async () => {
    const events: JobProgress[] = [];
    const counter = countingLauncher();
    const views = await evaluateMergesForApp(store, { runId }, (p) => events.push(p), counter.launch);
    expect(views).toHaveLength(3);
    expect(counter.started()).toBe(0);
    expect(events.map((e) => [e.done, e.total])).toEqual([
      [0, 6],
      [6, 6],
    ]);
  });

  it('refuses an unknown run in plain words', async () => {
    await expect(evaluateMergesForApp(store, { runId: 'nope' }, () => {}, startWorker)).rejects.toThrow(/^no run with id nope/);
  });
});

describe('exports.create', () => {
  it('writes the 0-based stage as a safetensors folder: file sizes sum to bytes, tensors are the stage\'s weights', async () => {
    const out = join(outRoot, 'stage-1');
    const events: JobProgress[] = [];
    const view = await exportForApp(store, t.home, { runId, out, format: 'safetensors', merge: 'none', stage: 0 }, (p) => events.push(p));
    expect(view).toMatchObject({ out, format: 'safetensors', merge: 'none', stage: 0, warnings: [] });
    expect(view.bytes).toBe(view.files.reduce((n, f) => n + statSync(f).size, 0));
    expect(view.files.map((f) => f.slice(out.length + 1))).toContain('model.safetensors');
    const want = runWeights(store, runId, { stage: 0 }).weights;
    const got = openModelWeights(out);
    try {
      expect(got.names().sort()).toEqual([...want.keys()].sort());
      for (const name of want.keys()) expect(got.readFloat32(name), name).toEqual(want.get(name)!.data);
    } finally {
      got.close();
    }
    expect(events.length).toBe(want.size);
    expect(events.at(-1)).toEqual({ runId, job: 'export', done: want.size, total: want.size });
  });

  it('merges as asked (average alpha) and reports the merge it wrote', async () => {
    const view = await exportForApp(store, t.home, { runId, out: join(outRoot, 'avg'), format: 'safetensors', merge: 'average', alpha: 0.25 }, () => {});
    expect([view.merge, view.stage]).toEqual(['average(alpha=0.25)', 1]);
  });

  it('refuses a folder that already has files, in plain words, unless forced', async () => {
    const out = join(outRoot, 'taken');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const req = { runId, out, format: 'safetensors' as const, merge: 'none' as const };
    await expect(exportForApp(store, t.home, req, () => {})).rejects.toThrow(`the folder ${out} already has files in it; choose a new or empty folder, or allow replacing it`);
    const view = await exportForApp(store, t.home, { ...req, force: true }, () => {});
    expect(view.files.some((f) => f.endsWith('notes.txt'))).toBe(false);
  });

  it('passes the service\'s refusal of an unfinished stage through in its words', async () => {
    await expect(exportForApp(store, t.home, { runId, out: join(outRoot, 'x'), format: 'safetensors', merge: 'none', stage: 5 }, () => {})).rejects.toThrow(
      `run ${runId} has stages 1 to 2; there is no stage 6`,
    );
  });
});
