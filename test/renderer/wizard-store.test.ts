/**
 * The wizard store over a stand-in api module (the stores' only way out). The stand-in previews a
 * JSON-lines file the way the app does in outline: a row without "output" is a bad row, named by
 * its line. Checked: a bad file's errors keep it from being a task and block the Datasets step;
 * a fixed file put in its place is imported and becomes the task; a mapping travels with the
 * file; answers for a replaced file are dropped; the steps open in order; and "Start" sends the
 * plan the real parser reads back as the wizard state says.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatasetPreview, ImportedDatasetView, ModelInfo, Params, TrainingEstimate } from '../../src-main/contract/index.js';
import { parsePlan } from '../../src-main/formats/plan.js';
import { answers, calls, resetFakeApi } from './fake-api.js';

vi.mock('../../src-renderer/api.js', () => import('./fake-api.js'));

const { useWizardStore } = await import('../../src-renderer/stores/wizard.js');

const SAMPLE = '/app/resources/sample';
const modelInfo = (path: string, params = 200_000): ModelInfo => ({
  path, architecture: 'llama', layers: 4, hiddenSize: 64, heads: 4, kvHeads: 2, vocabSize: 512, maxLength: 128, params, dtype: 'F32', hasChatTemplate: true,
});

type FileRequest = Params<'datasets.preview'>;
/** The stand-in's reading of a JSON-lines file: a row needs "output". */
function previewOf(req: FileRequest): DatasetPreview {
  const lines = req.content.split('\n').map((text, i) => ({ text, line: i + 1 })).filter((l) => l.text.trim() !== '');
  const errors = lines.filter((l) => !('output' in (JSON.parse(l.text) as object))).map((l) => ({ line: l.line, reason: 'missing "output"' }));
  const good = lines.length - errors.length;
  return {
    fileName: req.fileName, container: 'jsonl', format: req.mapping?.format ?? 'alpaca', detectedFormat: 'alpaca', columns: ['instruction', 'output'],
    goodRows: good, errors, badRows: errors.length, rows: [],
  };
}
const importOf = (req: FileRequest): ImportedDatasetView => ({
  fileName: req.fileName, path: `/home/datasets/${req.fileName}.sha`, sha256: 'ab', format: 'alpaca', rows: previewOf(req).goodRows, truncated: 0,
});

const GOOD = '{"instruction":"a","output":"b"}\n{"instruction":"c","output":"d"}\n';
const BAD = '{"instruction":"a","output":"b"}\n{"instruction":"c"}\n{"instruction":"e","output":"f"}\n{"instruction":"g"}\n';
const estimateOf = (available: number | null, peak: number): TrainingEstimate => ({
  backend: 'wasm', totalParams: 1000, stages: [{ stage: 0, trainableParams: 500 }], peakBytes: peak,
  parts: { weights: 1, gradients: 1, optimizer: 1, activations: 1 }, availableBytes: available,
});

const methodCalls = (m: string): unknown[] => calls.filter((c) => c.method === m).map((c) => c.params);

beforeEach(() => {
  setActivePinia(createPinia());
  resetFakeApi();
  answers.set('app.info', async () => ({ version: '0.1.0', home: '/home', sampleModel: SAMPLE }));
  answers.set('models.inspect', async (p) => modelInfo((p as { path: string }).path));
  answers.set('datasets.preview', async (p) => previewOf(p as FileRequest));
  answers.set('datasets.import', async (p) => importOf(p as FileRequest));
  answers.set('runs.estimate', async () => estimateOf(8 * 2 ** 30, 40 * 2 ** 20));
  answers.set('masks.draw', async () => ({ strategy: 'category', ratio: 0.5, seed: 0, stage: 0, grid: [], embeddingsTrained: true, trainableParams: 1, totalParams: 2 }));
});

async function withSample(): Promise<ReturnType<typeof useWizardStore>> {
  const w = useWizardStore();
  await w.begin(SAMPLE);
  return w;
}
const settled = (w: ReturnType<typeof useWizardStore>): Promise<void> => vi.waitFor(() => expect(w.datasets.every((d) => d.state !== 'checking')).toBe(true), { timeout: 5000 });
/** The estimate is asked a moment after the last change (the slider's debounce). */
const LATER = { timeout: 5000 };

describe('wizard store: datasets', () => {
  it('keeps a file with bad rows off the task list, and blocks the step with its name', async () => {
    const w = await withSample();
    w.addFiles([{ name: 'bad.jsonl', text: BAD }]);
    await settled(w);
    const [d] = w.datasets;
    expect(d.state).toBe('problems');
    expect(d.preview?.errors).toEqual([{ line: 2, reason: 'missing "output"' }, { line: 4, reason: 'missing "output"' }]);
    expect(w.tasks).toEqual([]);
    expect(methodCalls('datasets.import')).toEqual([]);
    expect(w.problemAt('datasets')).toBe('Replace or remove bad.jsonl: it has problems.');
  });

  it('imports the fixed file that replaces it, which becomes the task in its place', async () => {
    const w = await withSample();
    w.addFiles([{ name: 'first.jsonl', text: GOOD }, { name: 'bad.jsonl', text: BAD }]);
    await settled(w);
    expect(w.tasks.map((t) => t.fileName)).toEqual(['first.jsonl']);
    const bad = w.datasets[1];
    w.replaceFile(bad.id, { name: 'fixed.jsonl', text: GOOD + '{"instruction":"x","output":"y"}\n' });
    await settled(w);
    expect(w.datasets[1].state).toBe('ready');
    expect(w.datasets[1].taskName).toBe('fixed');
    expect(w.tasks.map((t) => [t.fileName, t.imported?.rows])).toEqual([['first.jsonl', 2], ['fixed.jsonl', 3]]);
    const imports = methodCalls('datasets.import') as FileRequest[];
    expect(imports.map((r) => [r.fileName, r.modelPath])).toEqual([['first.jsonl', SAMPLE], ['fixed.jsonl', SAMPLE]]);
    expect(w.problemAt('datasets')).toBeNull();
  });

  it('says why a file could not be read, in the app’s words, and blocks the step', async () => {
    answers.set('datasets.preview', async () => {
      throw new Error('notes.txt: not a data file; use .jsonl, .json or .csv');
    });
    const w = await withSample();
    w.addFiles([{ name: 'notes.txt', text: 'hello' }]);
    await settled(w);
    expect(w.datasets[0].state).toBe('failed');
    expect(w.datasets[0].error).toBe('notes.txt: not a data file; use .jsonl, .json or .csv');
    expect(w.problemAt('datasets')).toBe('Replace or remove notes.txt: it has problems.');
    w.removeFile(w.datasets[0].id);
    expect(w.problemAt('datasets')).toBe('Add at least one data file without problems: each becomes a task.');
  });

  it('drops the answer for a file that was replaced while it was being checked', async () => {
    let release: (() => void) | null = null;
    answers.set('datasets.preview', (p) => {
      const req = p as FileRequest;
      if (req.fileName !== 'slow.jsonl') return Promise.resolve(previewOf(req));
      return new Promise((done) => (release = () => done(previewOf({ ...req, content: BAD }))));
    });
    const w = await withSample();
    const [id] = w.addFiles([{ name: 'slow.jsonl', text: GOOD }]);
    w.replaceFile(id, { name: 'quick.jsonl', text: GOOD });
    await settled(w);
    expect(w.datasets[0].state).toBe('ready');
    (release as unknown as () => void)();
    await new Promise((r) => setTimeout(r, 0));
    expect(w.datasets[0].state).toBe('ready');
    expect(w.datasets[0].fileName).toBe('quick.jsonl');
  });

  it('sends a mapping override with the file, and checks it again', async () => {
    const w = await withSample();
    const [id] = w.addFiles([{ name: 'qa.jsonl', text: GOOD }]);
    await settled(w);
    w.setMapping(id, { format: 'alpaca', columns: { instruction: 'question', output: '', text: 'not alpaca' } });
    await settled(w);
    const last = methodCalls('datasets.import').at(-1) as FileRequest;
    expect(last.mapping).toEqual({ format: 'alpaca', columns: { instruction: 'question' } });
    expect(w.tasks[0].mapping?.format).toBe('alpaca');
  });

  it('checks the files again with a newly chosen model, and the preset follows its size', async () => {
    const w = await withSample();
    w.addFiles([{ name: 'a.jsonl', text: GOOD }]);
    await settled(w);
    expect(w.settings.lr).toBe(5e-4);
    answers.set('models.inspect', async (p) => modelInfo((p as { path: string }).path, 494_000_000));
    await w.chooseModel('/models/qwen2-0.5b/');
    await settled(w);
    expect(w.model?.path).toBe('/models/qwen2-0.5b');
    expect((methodCalls('datasets.preview') as FileRequest[]).map((r) => r.modelPath)).toEqual([SAMPLE, '/models/qwen2-0.5b']);
    expect(w.settings.lr).toBe(1e-4);
    expect(w.presetInUse).toBe('balanced');
    expect(w.isSample).toBe(false);
  });

  it('names tasks after their files, one name each, and moves them', async () => {
    const w = await withSample();
    w.addFiles([{ name: 'add.jsonl', text: GOOD }, { name: 'add.json', text: GOOD }, { name: 'rev.jsonl', text: GOOD }]);
    await settled(w);
    expect(w.tasks.map((t) => t.taskName)).toEqual(['add', 'add 2', 'rev']);
    w.moveTask(2, 0);
    expect(w.tasks.map((t) => t.taskName)).toEqual(['rev', 'add', 'add 2']);
    expect(w.moveTaskBy(0, -1)).toEqual({ index: 0, moved: false });
    expect(w.moveTaskBy(1, 1)).toEqual({ index: 2, moved: true });
    expect(w.tasks.map((t) => t.taskName)).toEqual(['rev', 'add 2', 'add']);
    w.setTaskName(w.tasks[1].id, 'add');
    expect(w.problemAt('datasets')).toBe('Two tasks are called “add”: give each its own name.');
  });
});

describe('wizard store: steps and start', () => {
  it('opens the steps in order, each only when the ones before are complete', async () => {
    const w = useWizardStore();
    await w.begin(null);
    expect(w.step).toBe('model');
    expect(w.stepProblem).toBe('Choose a model folder first, or use the sample model.');
    w.next();
    expect(w.step).toBe('model');
    expect(w.canVisit('datasets')).toBe(false);
    await w.chooseModel('   ');
    expect(w.modelError).toContain('Type the full path of a model folder');
    await w.useSampleModel();
    expect(w.isSample).toBe(true);
    w.next();
    expect(w.step).toBe('datasets');
    expect(w.canVisit('order')).toBe(false);
    w.goTo('review');
    expect(w.step).toBe('datasets');
    w.addFiles([{ name: 'a.jsonl', text: GOOD }]);
    await settled(w);
    w.goTo('review');
    expect(w.step).toBe('review');
    w.back();
    expect(w.step).toBe('settings');
    w.settings.batchSize = 0;
    expect(w.stepProblem).toBe('Batch size: enter a whole number from 1 to 4,096.');
    expect(w.canVisit('review')).toBe(false);
  });

  it('keeps a model folder that cannot be read out, with the reason', async () => {
    answers.set('models.inspect', async () => {
      throw new Error('/nope has no config.json; is it a Hugging Face model folder?');
    });
    const w = useWizardStore();
    await w.chooseModel('/nope');
    expect(w.model).toBeNull();
    expect(w.modelError).toBe('/nope has no config.json; is it a Hugging Face model folder?');
    expect(w.problemAt('model')).not.toBeNull();
  });

  it('says whether training fits, and that a GPU cannot be known', async () => {
    const w = await withSample();
    await vi.waitFor(() => expect(w.fit).toBe('fits'), LATER);
    answers.set('runs.estimate', async () => estimateOf(1000, 950));
    w.settings.batchSize = 4;
    await vi.waitFor(() => expect(w.fit).toBe('may-not-fit'), LATER);
    answers.set('runs.estimate', async () => estimateOf(null, 950));
    w.settings.batchSize = 2;
    await vi.waitFor(() => expect(w.fit).toBe('unknown'), LATER);
    const asked = methodCalls('runs.estimate') as Params<'runs.estimate'>[];
    expect(asked.at(-1)).toEqual({ modelPath: SAMPLE, strategy: 'category', ratio: 0.5, seed: 0, stages: 1, freezeEmbeddings: false, batchSize: 2, maxLength: 128 });
  });

  it('starts the run with the plan the wizard shows, and starts afresh on the next visit', async () => {
    answers.set('runs.start', async () => ({ runId: 'run-7' }));
    const w = await withSample();
    w.addFiles([{ name: 'reverse.jsonl', text: GOOD }, { name: 'add.jsonl', text: GOOD + GOOD }]);
    await settled(w);
    w.moveTask(1, 0);
    w.strategy = 'matrix';
    w.ratio = 0.3;
    w.choosePreset('quick');
    w.settings.seed = 5;
    expect(w.runName).toBe('Sample model · 2 tasks');
    w.runName = 'first try';
    const runId = await w.start();
    expect(runId).toBe('run-7');
    const [sent] = methodCalls('runs.start') as Params<'runs.start'>[];
    expect(sent.baseDir).toBe(SAMPLE);
    const plan = parsePlan(sent.planJson, `${sent.baseDir}/plan.json`);
    expect(plan.name).toBe('first try');
    expect(plan.model).toBe(SAMPLE);
    expect(plan.tasks.map((t) => [t.name, t.data, t.steps])).toEqual([
      ['add', '/home/datasets/add.jsonl.sha', 60],
      ['reverse', '/home/datasets/reverse.jsonl.sha', 60],
    ]);
    expect(plan.freeze).toMatchObject({ strategy: 'matrix', ratio: 0.3, seed: 5 });
    expect(plan.training).toMatchObject({ batchSize: 8, lr: 5e-4, maxLength: 128, seed: 5 });
    expect(plan.evaluation.probe).toBe(`${SAMPLE}/probe.jsonl`);
    // Started: the wizard stays as it was while the run's page opens; the next visit begins a new run.
    expect(w.model?.path).toBe(SAMPLE);
    await w.begin(null);
    expect(w.model).toBeNull();
    expect(w.datasets).toEqual([]);
    expect(w.step).toBe('model');
  });

  it('shows a refusal to start in the app’s words and keeps everything', async () => {
    answers.set('runs.start', async () => {
      throw new Error('add.jsonl:2: missing "output"');
    });
    const w = await withSample();
    w.addFiles([{ name: 'add.jsonl', text: GOOD }]);
    await settled(w);
    expect(await w.start()).toBeNull();
    expect(w.startError).toBe('add.jsonl:2: missing "output"');
    expect(w.tasks.length).toBe(1);
    expect(w.starting).toBe(false);
  });
});
