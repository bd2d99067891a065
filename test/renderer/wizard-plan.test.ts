/**
 * The wizard's plan, read back by the real plan parser (formats/plan.ts parsePlan, what runs.start
 * uses) and checked against the schema (ajv on resources/plan.schema.json): for the sample model
 * with its three tasks, two tasks with a column mapping, each preset, full fine-tuning and every
 * advanced option, the parsed plan says what the wizard state says. The settings checks refuse
 * exactly what the parser refuses, on either side of each limit.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPlanFiles, parsePlan, type Plan } from '../../src-main/formats/plan.js';
import { defaultSettings, PRESET_NAMES, type WizardSettings } from '../../src-renderer/presets.js';
import {
  buildPlan,
  cleanPath,
  folderName,
  freeTaskName,
  inFolder,
  nameProblem,
  settingsProblems,
  tasksProblem,
  type WizardPlanInput,
} from '../../src-renderer/wizard-plan.js';

const root = join(import.meta.dirname, '..', '..');
const sampleDir = join(root, 'resources', 'sample');
const sampleSize = { params: 200_000, maxLength: 128 };
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'resources', 'plan.schema.json'), 'utf8')) as object);

const tmp = mkdtempSync(join(tmpdir(), 'hft-wizard-plan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const qaFile = join(tmp, 'qa.csv');
writeFileSync(qaFile, 'question,answer\nWhat is 1+1?,2\n');

/** Parses the wizard's plan as runs.start does (relative paths against baseDir), after the schema passes it. */
function parsed(input: WizardPlanInput): Plan {
  const { planJson, baseDir } = buildPlan(input);
  const json = JSON.parse(planJson) as unknown;
  expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  return parsePlan(planJson, join(baseDir, 'plan.json'));
}

const sampleTasks = [
  { name: 'task1-reverse', data: join(sampleDir, 'task1-reverse.jsonl'), mapping: null },
  { name: 'task2-add', data: join(sampleDir, 'task2-add.json'), mapping: null },
  { name: 'task3-colour-codes', data: join(sampleDir, 'task3-colour-codes.csv'), mapping: null },
];
const sampleInput = (settings: WizardSettings = defaultSettings('balanced', sampleSize)): WizardPlanInput => ({
  name: 'Sample model · 3 tasks',
  model: sampleDir,
  probe: inFolder(sampleDir, 'probe.jsonl'),
  tasks: sampleTasks,
  strategy: 'category',
  ratio: 0.5,
  settings,
});

describe('buildPlan', () => {
  it('makes the sample model with its three tasks into the plan the wizard shows', () => {
    const plan = parsed(sampleInput());
    expect(checkPlanFiles(plan)).toBeNull(); // the model folder, the three files and the probe exist
    expect(plan.name).toBe('Sample model · 3 tasks');
    expect(plan.model).toBe(sampleDir);
    expect(plan.tasks).toEqual([
      { name: 'task1-reverse', data: join(sampleDir, 'task1-reverse.jsonl'), mapping: null, epochs: null, steps: 150 },
      { name: 'task2-add', data: join(sampleDir, 'task2-add.json'), mapping: null, epochs: null, steps: 150 },
      { name: 'task3-colour-codes', data: join(sampleDir, 'task3-colour-codes.csv'), mapping: null, epochs: null, steps: 150 },
    ]);
    expect(plan.freeze).toEqual({ strategy: 'category', ratio: 0.5, seed: 0, redrawEachStage: true, freezeEmbeddings: false });
    expect(plan.training).toEqual({
      batchSize: 16, gradAccum: 1, lr: 5e-4, schedule: 'constant', warmup: 10, weightDecay: 0, clipNorm: 1, maxLength: 128,
      shuffle: true, seed: 0, epochs: null, steps: 150, checkpointEvery: 50,
    });
    expect(plan.evaluation).toEqual({ evalFraction: 0.1, maxExamples: 64, probe: join(sampleDir, 'probe.jsonl'), maxNewTokens: 32 });
    expect(plan.backend).toBe('auto');
  });

  it('writes two tasks with a column mapping, keeping only the mapped format’s fields', () => {
    const plan = parsed({
      ...sampleInput(),
      name: '  my run  ',
      probe: null,
      tasks: [
        { name: ' questions ', data: qaFile, mapping: { format: 'prompt-completion', columns: { prompt: 'question', completion: 'answer', text: 'stray', output: '' } } },
        { name: 'reverse', data: join(sampleDir, 'task1-reverse.jsonl'), mapping: { format: 'alpaca', columns: {} } },
      ],
    });
    expect(plan.name).toBe('my run');
    expect(plan.tasks.map((t) => [t.name, t.data, t.mapping])).toEqual([
      ['questions', qaFile, { format: 'prompt-completion', columns: { prompt: 'question', completion: 'answer' } }],
      ['reverse', join(sampleDir, 'task1-reverse.jsonl'), { format: 'alpaca', columns: {} }],
    ]);
    expect(plan.evaluation.probe).toBeNull();
  });

  it.each(PRESET_NAMES)('writes the %s preset as its steps, batch, length and testing', (name) => {
    const big = { params: 494_032_768, maxLength: 32_768 };
    const plan = parsed({ ...sampleInput(defaultSettings(name, big)), model: '/models/qwen2-0.5b', probe: null });
    const expected = { quick: [60, 8, 256, 0.1, 32], balanced: [150, 16, 512, 0.1, 64], thorough: [400, 16, 1024, 0.15, 128] }[name];
    expect([plan.training.steps, plan.training.batchSize, plan.training.maxLength, plan.evaluation.evalFraction, plan.evaluation.maxExamples]).toEqual(expected);
    expect(plan.training.lr).toBe(1e-4);
    expect(plan.training.epochs).toBeNull();
    expect(plan.tasks.every((t) => t.steps === expected[0] && t.epochs === null)).toBe(true);
  });

  it('writes every advanced option', () => {
    const settings: WizardSettings = {
      ...defaultSettings('balanced', sampleSize),
      length: 'epochs', epochs: 2.5, steps: 999, lr: 3e-5, batchSize: 4, maxLength: 300, seed: 42, backend: 'wasm',
      checkpointEvery: 0, freezeEmbeddings: true, redrawEachStage: false, evalFraction: 0.2,
    };
    const plan = parsed({ ...sampleInput(settings), strategy: 'layer', ratio: 0.25 });
    expect(plan.freeze).toEqual({ strategy: 'layer', ratio: 0.25, seed: 42, redrawEachStage: false, freezeEmbeddings: true });
    expect(plan.training).toMatchObject({ epochs: 2.5, steps: null, lr: 3e-5, batchSize: 4, maxLength: 300, seed: 42, checkpointEvery: 0 });
    expect(plan.tasks.map((t) => [t.epochs, t.steps])).toEqual([[2.5, null], [2.5, null], [2.5, null]]);
    expect(plan.evaluation.evalFraction).toBe(0.2);
    expect(plan.backend).toBe('wasm');
  });

  it('trains everything under full fine-tuning, whatever the slider said', () => {
    const plan = parsed({ ...sampleInput(), strategy: 'full', ratio: 0.3 });
    expect(plan.freeze.strategy).toBe('full');
    expect(plan.freeze.ratio).toBe(1);
    expect(JSON.parse(buildPlan({ ...sampleInput(), strategy: 'full', ratio: 0.3 }).planJson).freeze.ratio).toBe(1);
  });

  it('resolves against the model folder and writes only absolute paths', () => {
    const { planJson, baseDir } = buildPlan(sampleInput());
    expect(baseDir).toBe(sampleDir);
    const json = JSON.parse(planJson) as { model: string; tasks: { data: string }[]; evaluation: { probe: string } };
    for (const p of [json.model, json.evaluation.probe, ...json.tasks.map((t) => t.data)]) expect(p.startsWith('/')).toBe(true);
  });
});

describe('settingsProblems', () => {
  const good = defaultSettings('balanced', sampleSize);
  /** Does the real parser take the plan with these settings? */
  const parserTakes = (s: WizardSettings): boolean => {
    try {
      parsePlan(buildPlan(sampleInput(s)).planJson, join(sampleDir, 'plan.json'));
      return true;
    } catch {
      return false;
    }
  };

  it('finds nothing wrong with any preset', () => {
    for (const n of PRESET_NAMES) expect(settingsProblems(defaultSettings(n, sampleSize))).toEqual([]);
  });

  // Each value at or just past a limit of plan.schema.json: the wizard and the parser must agree.
  it.each([
    ['steps', 1, true], ['steps', 0, false], ['steps', 1.5, false], ['steps', 10_000_000, true], ['steps', 10_000_001, false],
    ['lr', 0.999, true], ['lr', 1, false], ['lr', 0, false], ['lr', -1e-4, false], ['lr', Number.NaN, false],
    ['warmup', 0, true], ['warmup', -1, false],
    ['batchSize', 1, true], ['batchSize', 4096, true], ['batchSize', 4097, false], ['batchSize', 0, false], ['batchSize', 2.5, false],
    ['maxLength', 2, true], ['maxLength', 1, false], ['maxLength', 131_072, true], ['maxLength', 131_073, false],
    ['evalFraction', 0, true], ['evalFraction', 0.5, true], ['evalFraction', 0.51, false],
    ['maxExamples', 1, true], ['maxExamples', 0, false],
    ['seed', 0, true], ['seed', Number.MAX_SAFE_INTEGER, true], ['seed', -1, false], ['seed', 1.5, false],
    ['checkpointEvery', 0, true], ['checkpointEvery', -5, false],
  ] as const)('%s = %d: accepted %s, as the parser does', (field, value, ok) => {
    const s = { ...good, [field]: value };
    const problems = settingsProblems(s);
    expect(problems.length === 0).toBe(ok);
    expect(parserTakes(s)).toBe(ok);
    if (!ok) expect(problems[0].field).toBe(field);
  });

  it('checks epochs only when training by epochs, and says what to type', () => {
    expect(settingsProblems({ ...good, epochs: 0 })).toEqual([]);
    const s: WizardSettings = { ...good, length: 'epochs', epochs: 0 };
    expect(settingsProblems(s)).toEqual([{ field: 'epochs', message: 'Passes over each task: enter a number more than 0 and at most 1000.' }]);
    expect(parserTakes(s)).toBe(false);
    expect(settingsProblems({ ...good, lr: Number.NaN })[0].message).toBe('Learning rate: enter a number more than 0 and less than 1.');
    expect(settingsProblems({ ...good, batchSize: 0 })[0].message).toBe('Batch size: enter a whole number from 1 to 4,096.');
  });
});

describe('names and paths', () => {
  const parserTakesName = (name: string): boolean => {
    try {
      parsePlan(JSON.stringify({ name, model: '/m', tasks: [{ name, data: '/d.jsonl' }] }), '/p/plan.json');
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['reverse', true], ['', false], ['   ', false], ['tab\there', false], ['line\nbreak', false], ['x'.repeat(200), true], ['x'.repeat(201), false],
  ])('name %j: accepted %s, as the parser does', (name, ok) => {
    expect(nameProblem(name, 'task') === null).toBe(ok);
    expect(parserTakesName(name)).toBe(ok);
  });

  it('refuses no tasks, too many, an empty name and the same name twice', () => {
    const t = (taskName: string, fileName = `${taskName}.jsonl`): { fileName: string; taskName: string } => ({ fileName, taskName });
    expect(tasksProblem([])).toBe('Add at least one data file without problems: each becomes a task.');
    expect(tasksProblem(Array.from({ length: 33 }, (_, i) => t(`t${i}`)))).toBe('A run can have at most 32 tasks; remove 1.');
    expect(tasksProblem(Array.from({ length: 32 }, (_, i) => t(`t${i}`)))).toBeNull();
    expect(tasksProblem([t('a'), t(' ', 'b.csv')])).toBe('b.csv: Give the task a name.');
    expect(tasksProblem([t('add'), t('add ', 'other.json')])).toBe('Two tasks are called “add”: give each its own name.');
  });

  it('names a new task after its file, never twice', () => {
    expect(freeTaskName('task1-reverse.jsonl', [])).toBe('task1-reverse');
    expect(freeTaskName('add.json', ['add'])).toBe('add 2');
    expect(freeTaskName('add.csv', ['add', 'add 2'])).toBe('add 3');
    expect(freeTaskName('data.v2.csv', [])).toBe('data.v2');
    expect(freeTaskName('.hidden', [])).toBe('.hidden');
  });

  it('cleans typed folder paths and names files in them', () => {
    expect(cleanPath('  /models/qwen/  ')).toBe('/models/qwen');
    expect(cleanPath('/')).toBe('/');
    expect(cleanPath('C:\\models\\qwen\\')).toBe('C:\\models\\qwen');
    expect(folderName('/a/b/qwen2-0.5b/')).toBe('qwen2-0.5b');
    expect(folderName('C:\\models\\llama')).toBe('llama');
    expect(inFolder('/app/resources/sample', 'probe.jsonl')).toBe('/app/resources/sample/probe.jsonl');
    expect(inFolder('C:\\app\\sample', 'probe.jsonl')).toBe('C:\\app\\sample\\probe.jsonl');
  });
});
