/**
 * The contract's handlers on a real (tiny) finished run and the sample model: what the app's
 * screens will show, checked against the store's records, config.json and the paper's mask rule.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYER_KINDS, type RunEvent } from '../../src-main/contract/index.js';
import { apiHandlers, type Handlers } from '../../src-main/services/api.js';
import { runForgetting } from '../../src-main/services/runs.js';
import { prepareRun, readPlan } from '../../src-main/services/run-prepare.js';
import { openStore, type Store } from '../../src-main/store/index.js';
import { finishTinyRun, tinyRun, type TinyRun } from './tiny-run.js';

const SAMPLE = fileURLToPath(new URL('../../resources/sample/', import.meta.url));

let t: TinyRun;
let store: Store;
let api: Handlers;
let runId: string;
const events: RunEvent[] = [];
beforeAll(async () => {
  t = tinyRun();
  store = openStore(t.db);
  api = apiHandlers({ store, home: t.home, emit: (name, e) => name === 'run.event' && events.push(e as RunEvent) });
  runId = await finishTinyRun(store, t);
}, 300_000);
afterAll(() => {
  store?.close();
  rmSync(t.root, { recursive: true, force: true });
});

describe('api handlers', () => {
  it('app.info names the data folder, the version and the sample model', async () => {
    const info = await api['app.info']({});
    expect(info.home).toBe(t.home);
    expect(info.version).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    expect(existsSync(join(info.sampleModel, 'config.json'))).toBe(true);
  });

  it('runs.list and runs.get: the run as recorded, its stages with their masks, its forgetting matrix', async () => {
    const [row] = await api['runs.list']({});
    expect(row).toMatchObject({ id: runId, status: 'done', strategy: 'category', ratio: 0.5, totalSteps: 36, doneSteps: 36 });
    const d = await api['runs.get']({ runId });
    expect(d.tasks).toEqual(['reverse', 'upper']);
    expect(d.stages.map((s) => [s.index, s.status, s.steps])).toEqual([[0, 'done', 20], [1, 'done', 16]]);
    expect(d.stages[0].trainable).toEqual(JSON.parse(store.stages.get(runId, 0)!.maskJson!).trainable);
    expect(d.forgetting).toEqual(runForgetting(store, runId));
    expect(JSON.parse(JSON.stringify(d))).toEqual(d); // plain JSON all the way
    await expect(api['runs.get']({ runId: 'nope' })).rejects.toThrow(/no run with id nope/);
  });

  it('runs.metrics: every step, or those after a given one', async () => {
    const all = await api['runs.metrics']({ runId });
    expect(all.map((m) => m.step)).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
    expect(all.every((m) => m.loss !== null && m.loss > 0)).toBe(true);
    expect((await api['runs.metrics']({ runId, afterStep: 30 })).map((m) => m.step)).toEqual([31, 32, 33, 34, 35, 36]);
  });

  it('models.inspect reads the sample\'s config', async () => {
    const cfg = JSON.parse(readFileSync(join(SAMPLE, 'config.json'), 'utf8'));
    const m = await api['models.inspect']({ path: SAMPLE });
    expect(m).toMatchObject({ architecture: 'llama', layers: cfg.num_hidden_layers, hiddenSize: cfg.hidden_size, heads: cfg.num_attention_heads, kvHeads: cfg.num_key_value_heads, vocabSize: cfg.vocab_size, dtype: 'F32', hasChatTemplate: true });
    await expect(api['models.inspect']({ path: t.root })).rejects.toThrow(/config\.json/);
  });

  it('masks.draw: the per-layer picture follows the paper\'s rule at 0.5, and is redrawn per stage', async () => {
    const spec = { modelPath: SAMPLE, strategy: 'category' as const, ratio: 0.5, seed: 0, freezeEmbeddings: false };
    const a = await api['masks.draw']({ ...spec, stage: 0 });
    const b = await api['masks.draw']({ ...spec, stage: 1 });
    const col = (k: string) => LAYER_KINDS.indexOf(k as (typeof LAYER_KINDS)[number]);
    for (const row of a.grid) {
      expect(['q', 'k', 'v', 'o'].filter((k) => row[col(k)])).toHaveLength(2);
      expect([1, 2]).toContain(['gate', 'up', 'down'].filter((k) => row[col(k)]).length);
      expect(['input_norm', 'post_norm'].filter((k) => row[col(k)])).toHaveLength(1);
    }
    expect(a.embeddingsTrained).toBe(true);
    expect(a.grid).not.toEqual(b.grid);
    expect(a.trainableParams).toBeLessThan(a.totalParams);
  });

  it('runs.delete removes the run\'s records and folder, and refuses a run a live process holds', async () => {
    const other = prepareRun(store, t.home, readPlan(t.plan)).runId;
    const dir = join(t.home, 'runs', other);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'supervisor.lock'), String(process.pid));
    await expect(api['runs.delete']({ runId: other })).rejects.toThrow(/is running .* stop it before deleting it/);
    rmSync(join(dir, 'supervisor.lock'));
    expect(await api['runs.delete']({ runId: other })).toEqual({ deleted: true });
    expect(existsSync(dir)).toBe(false);
    expect(store.runs.get(other)).toBeNull();
    expect(store.stages.list(other)).toEqual([]);
    expect(await api['runs.delete']({ runId: other })).toEqual({ deleted: false });
  });

  it('runs.start, pause, resume and stop drive a live run, reported as events', async () => {
    const until = async (pred: (e: RunEvent) => boolean) => {
      for (let i = 0; i < 3000 && !events.some(pred); i++) await new Promise((r) => setTimeout(r, 20));
      expect(events.some(pred)).toBe(true);
    };
    const planJson = readFileSync(t.plan, 'utf8');
    const before = store.runs.list().length;
    await expect(api['runs.start']({ planJson: planJson.replace('"category"', '"categroy"'), baseDir: dirname(t.plan) })).rejects.toThrow(/did you mean "category"/);
    expect(store.runs.list()).toHaveLength(before); // refused before anything is recorded

    const { runId: live } = await api['runs.start']({ planJson, baseDir: dirname(t.plan) });
    await until((e) => e.runId === live && e.kind === 'step');
    await api['runs.pause']({ runId: live });
    await until((e) => e.runId === live && e.kind === 'paused');
    await api['runs.resume']({ runId: live });
    await until((e) => e.runId === live && e.kind === 'resumed');
    await api['runs.stop']({ runId: live });
    await until((e) => e.runId === live && e.kind === 'finished');
    expect(store.runs.get(live)!.status).toBe('paused');
    await expect(api['runs.pause']({ runId: live })).rejects.toThrow(/is not running here/);
    await api['runs.resume']({ runId: live }); // continues from its newest checkpoint
    await until((e) => e.runId === live && e.kind === 'finished' && e.status === 'done');
    const kinds = new Set(events.filter((e) => e.runId === live).map((e) => e.kind));
    for (const k of ['ready', 'stage-start', 'step', 'checkpoint', 'eval', 'paused', 'resumed', 'stopped', 'finished']) expect(kinds.has(k as RunEvent['kind']), k).toBe(true);
    expect(JSON.parse(JSON.stringify(events))).toEqual(events); // plain JSON: no NaN, no classes
  }, 300_000);

  it("app.pickFolder: the shell's dialog when there is one; in a browser, a plain refusal that says to type the path", async () => {
    await expect(api['app.pickFolder']({ title: 'Choose a model folder' })).rejects.toThrow(/type the folder's full path/);
    const titles: string[] = [];
    const withDialog = apiHandlers({ store, home: t.home, pickFolder: async (title) => (titles.push(title), '/picked/folder') });
    expect(await withDialog['app.pickFolder']({ title: 'Choose a model folder' })).toEqual({ path: '/picked/folder' });
    const cancelled = apiHandlers({ store, home: t.home, pickFolder: async () => null });
    expect(await cancelled['app.pickFolder']({ title: 'x' })).toEqual({ path: null });
    expect(titles).toEqual(['Choose a model folder']);
  });
});
