/**
 * The plan file: good plans come back fully defaulted with absolute paths; every kind of mistake
 * is reported as `file:line: field: reason` at the exact line, all of them at once; the stored
 * JSON parses back to the same plan; checkPlanFiles names missing files in the same style.
 * (Agreement with resources/plan.schema.json is in plan-schema.test.ts.)
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FORMAT_FIELDS } from '../../src-main/formats/datasets/formats.js';
import {
  checkPlanFiles,
  DATA_FORMATS,
  DEFAULT_PLAN_VALUES,
  MAPPING_FIELDS,
  parsePlan,
  PlanError,
  planToJson,
  type Plan,
  type PlanIssue,
} from '../../src-main/formats/plan.js';

const FIXTURES = resolve(__dirname, '../fixtures/plans');
const GOOD = join(FIXTURES, 'good');
const BAD = join(FIXTURES, 'bad');

const fixture = (dir: string, name: string): [string, string] => {
  const file = join(dir, name);
  return [readFileSync(file, 'utf8'), file];
};

/** The PlanError parsePlan throws (fails the test if it returns a plan instead). */
function planError(text: string, file = '/plans/p.json'): PlanError {
  try {
    parsePlan(text, file);
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error(`expected a PlanError for ${text}`);
}

const where = (issues: PlanIssue[]): string[] => issues.map((i) => `${i.line} ${i.field}`);

/** The defaults written out by hand, independently of DEFAULT_PLAN_VALUES. */
const FREEZE_DEFAULTS = { strategy: 'category', ratio: 0.5, seed: 0, redrawEachStage: true, freezeEmbeddings: false };
const TRAINING_DEFAULTS = {
  batchSize: 8, gradAccum: 1, lr: 0.0001, schedule: 'cosine', warmup: 0, weightDecay: 0, clipNorm: 1, maxLength: 512,
  shuffle: true, seed: 0, epochs: 1, steps: null, checkpointEvery: 50,
};
const EVALUATION_DEFAULTS = { evalFraction: 0.1, maxExamples: 64, probe: null, maxNewTokens: 32 };

describe('parsePlan: good plans', () => {
  it('fills in every default for a minimal plan and resolves paths against the plan folder', () => {
    const plan = parsePlan(...fixture(GOOD, 'minimal.json'));
    expect(plan).toEqual({
      name: 'minimal',
      model: join(FIXTURES, 'models/tiny-llama'),
      tasks: [{ name: 'arithmetic', data: join(GOOD, 'data/arithmetic.jsonl'), mapping: null, epochs: 1, steps: null }],
      freeze: FREEZE_DEFAULTS,
      training: TRAINING_DEFAULTS,
      evaluation: EVALUATION_DEFAULTS,
      backend: 'auto',
      source: { file: join(GOOD, 'minimal.json'), lines: { model: 2, 'tasks[0].data': 3 } },
    });
    const { freeze, training, evaluation, backend } = plan;
    expect({ freeze, training, evaluation, backend }).toEqual(DEFAULT_PLAN_VALUES);
  });

  it('reads a full plan, task epochs/steps overriding the training section', () => {
    const plan = parsePlan(...fixture(GOOD, 'full.json'));
    expect(plan).toEqual({
      name: 'two tasks, HFT',
      model: '/models/qwen2-0.5b',
      tasks: [
        { name: 'maths', data: join(GOOD, 'data/maths.csv'), mapping: { format: 'alpaca', columns: { instruction: 'question', output: 'answer' } }, epochs: 2, steps: null },
        { name: 'chat', data: join(GOOD, 'data/chat.jsonl'), mapping: { format: 'messages', columns: {} }, epochs: null, steps: 40 },
        { name: 'plain', data: join(GOOD, 'data/plain.jsonl'), mapping: null, epochs: null, steps: 100 },
      ],
      freeze: { strategy: 'matrix', ratio: 0.25, seed: 7, redrawEachStage: false, freezeEmbeddings: true },
      training: {
        batchSize: 4, gradAccum: 2, lr: 0.0003, schedule: 'constant', warmup: 10, weightDecay: 0.01, clipNorm: null, maxLength: 256,
        shuffle: false, seed: 3, epochs: null, steps: 100, checkpointEvery: 0,
      },
      evaluation: { evalFraction: 0.2, maxExamples: 16, probe: join(GOOD, 'data/probe.jsonl'), maxNewTokens: 8 },
      backend: 'wasm',
      source: { file: join(GOOD, 'full.json'), lines: { model: 4, 'tasks[0].data': 8, 'tasks[1].data': 12, 'tasks[2].data': 13, 'evaluation.probe': 30 } },
    });
  });

  it('reports ratio 1 for strategy full and spreads training.epochs to tasks that give nothing', () => {
    const plan = parsePlan(...fixture(GOOD, 'full-strategy.json'));
    expect(plan.freeze).toMatchObject({ strategy: 'full', ratio: 1 });
    expect(plan.training).toMatchObject({ epochs: 0.5, steps: null, clipNorm: 2.5 });
    expect(plan.tasks.map((t) => [t.name, t.epochs, t.steps])).toEqual([
      ['a', null, 5],
      ['b', 0.5, null],
    ]);
  });

  it('gives each task the training steps when the plan counts in steps', () => {
    const plan = parsePlan('{"model": "m", "tasks": [{"data": "a.jsonl"}, {"data": "b.jsonl", "epochs": 3}], "training": {"steps": 7}}', '/p/x.json');
    expect(plan.training).toMatchObject({ epochs: null, steps: 7 });
    expect(plan.tasks.map((t) => [t.epochs, t.steps])).toEqual([
      [null, 7],
      [3, null],
    ]);
  });

  it('keeps absolute paths and the mapping of every format', () => {
    const plan = parsePlan(...fixture(GOOD, 'every-format.json'));
    expect(plan.tasks.map((t) => t.mapping?.format ?? null)).toEqual(['alpaca', 'messages', 'prompt-completion', 'text', 'preference', 'tokenized', null, 'messages']);
    expect(plan.tasks[4].mapping).toEqual({ format: 'preference', columns: { prompt: 'p', chosen: 'good', rejected: 'bad' } });
    expect(plan.tasks[6].mapping).toBeNull();
    expect(plan.tasks[7].mapping!.columns).toEqual({ messages: 'turns', role: 'from', content: 'value' });
    expect(plan.tasks.every((t) => t.epochs === 1 && t.steps === null)).toBe(true);
    expect(parsePlan('{"model": "/abs/m", "tasks": [{"data": "/abs/d.jsonl"}]}', 'rel/plan.v2.json')).toMatchObject({
      name: 'plan.v2',
      model: '/abs/m',
      tasks: [{ name: 'd', data: '/abs/d.jsonl' }],
      source: { file: resolve('rel/plan.v2.json') },
    });
  });

  it("names the same formats and fields as the dataset readers' column mapping", () => {
    expect(MAPPING_FIELDS).toBe(FORMAT_FIELDS); // one table, not a copy
    expect([...DATA_FORMATS].sort()).toEqual(Object.keys(FORMAT_FIELDS).sort());
  });

  it('needs no value spelled out: a plan giving every default equals one giving none', () => {
    const strip = ({ source: _source, name: _name, ...rest }: Plan) => rest;
    const spelled = parsePlan(...fixture(GOOD, 'defaults-spelled-out.json'));
    const bare = parsePlan('{"model": "m", "tasks": [{"name": "only", "data": "a.jsonl"}]}', join(GOOD, 'bare.json'));
    expect(strip(spelled)).toEqual(strip(bare));
  });

  it('stores a plan as JSON that parses back to the same plan, without its source', () => {
    for (const name of readdirSync(GOOD)) {
      const plan = parsePlan(...fixture(GOOD, name));
      const json = planToJson(plan);
      expect(JSON.parse(json)).not.toHaveProperty('source');
      const again = parsePlan(json, '/elsewhere/stored.json');
      const strip = ({ source: _source, ...rest }: Plan) => rest;
      expect(strip(again), name).toEqual(strip(plan));
    }
  });
});

describe('parsePlan: mistakes', () => {
  // file, first message (after "bad/"), number of issues
  const CASES: [string, string, number][] = [
    ['unknown-field.json', '6: training.learningRate: unknown field — did you mean training.lr?', 1],
    ['wrong-type.json', '4: training.batchSize: expected a whole number from 1 to 4096, found the text "8"', 1],
    ['ratio-zero.json', '5: freeze.ratio: must be a number more than 0 and at most 1, found 0', 1],
    ['ratio-above-one-with-full.json', '4: freeze.ratio: must be a number more than 0 and at most 1, found 1.5', 1],
    ['lr-one.json', '5: training.lr: must be a number more than 0 and less than 1, found 1', 1],
    ['missing-model.json', '2: model: required field is missing: the path of a Hugging Face model folder', 1],
    ['missing-tasks.json', '1: tasks: required field is missing: a list of tasks, each like {"data": "file.jsonl"}', 1],
    ['empty-tasks.json', '3: tasks: needs at least one task', 1],
    ['too-many-tasks.json', '3: tasks: at most 32 tasks, found 33', 1],
    ['tasks-not-a-list.json', '3: tasks: expected a list of tasks, found an object', 1],
    ['task-is-a-string.json', '4: tasks[0]: expected a task object like {"data": "file.jsonl"}, found the text "a.jsonl"', 1],
    ['missing-data.json', '3: tasks[0].data: required field is missing: the path of the data file', 1],
    ['empty-data-path.json', '3: tasks[0].data: must not be empty', 1],
    ['task-epochs-and-steps.json', '8: tasks[1].steps: give epochs or steps, not both', 1],
    ['training-epochs-and-steps.json', '5: training.steps: give epochs or steps, not both', 1],
    ['task-epochs-zero.json', '3: tasks[0].epochs: must be a number more than 0 and at most 1000 (or null), found 0', 1],
    ['fractional-warmup.json', '4: training.warmup: must be a whole number from 0 to 10000000, found 2.5', 1],
    ['clip-zero.json', '4: training.clipNorm: must be a number more than 0 and at most 1000000 (or null), found 0', 1],
    ['eval-fraction-too-big.json', '4: evaluation.evalFraction: must be a number from 0 to 0.5, found 0.6', 1],
    ['freeze-embeddings-text.json', '4: freeze.freezeEmbeddings: expected true or false, found the text "no"', 1],
    ['strategy-typo.json', '4: freeze.strategy: expected one of category, matrix, layer, parameter, full; found the text "categroy" — did you mean "category"?', 1],
    ['bad-backend.json', '4: backend: expected one of auto, tensorflow, webgpu, wasm, cpu; found the text "cuda" — did you mean "tensorflow"?', 1],
    ['unknown-format.json', '3: tasks[0].mapping.format: expected one of alpaca, messages, prompt-completion, text, preference, tokenized; found the text "sharegpt" — did you mean "messages"?', 1],
    ['column-not-in-format.json', '8: tasks[0].mapping.columns.prompt: not a field of the alpaca format; known fields here: instruction, input, output', 1],
    ['column-for-other-format.json', '3: tasks[0].mapping.columns.prompt: not a field of the messages format; known fields here: messages, role, content', 1],
    ['mapping-without-format.json', '7: tasks[0].mapping.format: required field is missing: the data format, one of alpaca, messages, prompt-completion, text, preference, tokenized', 1],
    ['empty-column-name.json', '3: tasks[0].mapping.columns.text: must not be empty', 1],
    ['blank-name.json', '2: name: must be one line of visible text (no line breaks or control characters)', 1],
    ['schema-not-text.json', '2: $schema: expected text in double quotes, found the number 5', 1],
    ['section-not-object.json', '4: evaluation: expected an object, found the number 0.1', 1],
    ['not-an-object.json', '1: plan: expected a JSON object: {"model": ..., "tasks": [...]}, found a list', 1],
    ['trailing-comma.json', "3: invalid JSON at column 35: trailing comma before '}' (JSON allows none)", 1],
    ['many-errors.json', '2: model: expected text in double quotes, found the number 42 (and 8 more)', 9],
  ];

  it('covers every bad fixture', () => {
    expect(CASES.map((c) => c[0]).sort()).toEqual(readdirSync(BAD).sort());
  });

  it.each(CASES)('%s', (name, message, count) => {
    const [text, file] = fixture(BAD, name);
    const err = planError(text, file);
    expect(err.message).toBe(`${file}:${message}`);
    expect(err.issues).toHaveLength(count);
    expect(err.issues.every((i) => i.file === file)).toBe(true);
  });

  it('reports every mistake at once, in line order, each at its own line', () => {
    const err = planError(...fixture(BAD, 'many-errors.json'));
    expect(where(err.issues)).toEqual([
      '2 model',
      '4 tasks[0].steps',
      '5 tasks[1].dataset',
      '5 tasks[1].data',
      '7 freeze.ratio',
      '7 freeze.seed',
      '9 training.batch_size',
      '10 training.shuffle',
      '12 lr',
    ]);
    const reasons = Object.fromEntries(err.issues.map((i) => [i.field, i.reason]));
    expect(reasons['tasks[1].dataset']).toBe('unknown field — did you mean tasks[1].data?');
    expect(reasons['training.batch_size']).toBe('unknown field — did you mean training.batchSize?');
    expect(reasons.lr).toBe('unknown field — did you mean training.lr?');
    expect(reasons['freeze.seed']).toBe('must be a whole number from 0 to 9007199254740991, found -1');
  });

  it('suggests the field a misspelt or misplaced key meant', () => {
    const cases: [string, string, string][] = [
      ['{"training": {"warmupSteps": 5}}', 'training.warmupSteps', 'training.warmup'],
      ['{"training": {"bathSize": 5}}', 'training.bathSize', 'training.batchSize'],
      ['{"training": {"max_grad_norm": 1}}', 'training.max_grad_norm', 'training.clipNorm'],
      ['{"freeze": {"ration": 0.5}}', 'freeze.ration', 'freeze.ratio'],
      ['{"strategy": "matrix"}', 'strategy', 'freeze.strategy'],
      ['{"Backend": "cpu"}', 'Backend', 'backend'],
      ['{"evaluation": {"probes": null}}', 'evaluation.probes', 'evaluation.probe'],
      ['{"datasets": []}', 'datasets', 'tasks'],
    ];
    for (const [extra, field, hint] of cases) {
      const text = `{"model": "m", "tasks": [{"data": "a"}], ${extra.slice(1, -1)}}`;
      expect(planError(text).issues, extra).toEqual([{ file: '/plans/p.json', line: 1, field, reason: `unknown field — did you mean ${hint}?` }]);
    }
    const task = planError('{"model": "m", "tasks": [{"data": "a"}, {"data": "b", "format": "text"}]}').issues[0];
    expect(task).toMatchObject({ field: 'tasks[1].format', reason: 'unknown field — did you mean tasks[1].mapping.format?' });
    const far = planError('{"model": "m", "tasks": [{"data": "a"}], "training": {"zzzz": 1}}').issues[0];
    expect(far.reason).toMatch(/^unknown field; known fields here: batchSize, gradAccum, lr, schedule, /);
  });

  it('refuses a field given twice, naming the first line', () => {
    const err = planError('{\n  "model": "m",\n  "tasks": [{"data": "a"}],\n  "model": "n"\n}');
    expect(err.message).toBe('/plans/p.json:4: model: given twice (first on line 2); keep one');
  });

  it('points at the parent object when a field is missing', () => {
    const err = planError('{\n  "model": "m",\n  "tasks": [\n    {"data": "a"},\n    {\n      "name": "b"\n    }\n  ]\n}');
    expect(where(err.issues)).toEqual(['5 tasks[1].data']);
  });

  it('names the line and column of a JSON syntax error', () => {
    const err = planError('{\n  "model": "m"\n  "tasks": []\n}', 'my plan.json');
    expect(err.message).toBe(`my plan.json:3: invalid JSON at column 3: expected ',' or '}' after the value of "model", found '"'`);
    expect(err.issues).toEqual([{ file: 'my plan.json', line: 3, field: '', reason: expect.stringContaining('column 3') }]);
    expect(planError('', 'e.json').message).toBe('e.json:1: invalid JSON at column 1: the file is empty; expected a JSON object');
  });

  it('keeps every message on one line, whatever the values hold', () => {
    const err = planError('{"name": "a\\nb", "model": "m\\n", "tasks": [{"data": "a", "mapping": {"format": "x\\ny"}}]}');
    expect(err.issues.length).toBe(2);
    for (const i of err.issues) expect(i.reason).not.toMatch(/[\r\n]/);
    expect(err.message).not.toMatch(/[\r\n]/);
  });

  it('refuses types it cannot use, saying what it expected and found', () => {
    const bad = (field: string, value: string) => planError(`{"model": "m", "tasks": [{"data": "a"}], "training": {"${field}": ${value}}}`).issues[0].reason;
    expect(bad('shuffle', '1')).toBe('expected true or false, found the number 1');
    expect(bad('seed', '[]')).toBe('expected a whole number from 0 to 9007199254740991, found a list');
    expect(bad('lr', 'null')).toBe('expected a number more than 0 and less than 1, found null');
    expect(bad('lr', '1e999')).toBe('must be a number more than 0 and less than 1, found Infinity');
    expect(bad('clipNorm', '"none"')).toBe('expected a number more than 0 and at most 1000000 or null, found the text "none"');
    expect(bad('schedule', '"cos"')).toBe('expected one of constant, cosine; found the text "cos" — did you mean "cosine"?');
  });
});

describe('checkPlanFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hft-plan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'model'));
  writeFileSync(join(dir, 'model/config.json'), '{}');
  mkdirSync(join(dir, 'empty-model'));
  mkdirSync(join(dir, 'a-folder'));
  writeFileSync(join(dir, 'a.jsonl'), '{"text": "x"}\n');
  const file = join(dir, 'plan.json');
  const plan = (model: string, data: string[], probe: string | null = null): Plan =>
    parsePlan(
      ['{', `  "model": ${JSON.stringify(model)},`, '  "tasks": [', data.map((d) => `    {"data": ${JSON.stringify(d)}}`).join(',\n'), '  ],', `  "evaluation": {"probe": ${JSON.stringify(probe)}}`, '}'].join('\n'),
      file,
    );

  it('accepts a model folder with config.json and existing data files', () => {
    expect(checkPlanFiles(plan('model', ['a.jsonl', 'a.jsonl'], 'a.jsonl'))).toBeNull();
  });

  it('names every missing or wrong path with its line', () => {
    const err = checkPlanFiles(plan('empty-model', ['a.jsonl', 'missing.jsonl', 'a-folder'], 'nope.jsonl'));
    expect(err).toBeInstanceOf(PlanError);
    expect(err!.issues).toEqual([
      { file, line: 2, field: 'model', reason: `${join(dir, 'empty-model')} has no config.json; is it a Hugging Face model folder?` },
      { file, line: 5, field: 'tasks[1].data', reason: `data file not found: ${join(dir, 'missing.jsonl')}` },
      { file, line: 6, field: 'tasks[2].data', reason: `${join(dir, 'a-folder')} is a folder; expected a data file` },
      { file, line: 8, field: 'evaluation.probe', reason: `probe file not found: ${join(dir, 'nope.jsonl')}` },
    ]);
    expect(err!.message).toBe(`${file}:2: model: ${join(dir, 'empty-model')} has no config.json; is it a Hugging Face model folder? (and 3 more)`);
  });

  it('tells a missing model folder from a file given as the model', () => {
    expect(checkPlanFiles(plan('no-such-model', ['a.jsonl']))!.message).toBe(`${file}:2: model: model folder not found: ${join(dir, 'no-such-model')}`);
    expect(checkPlanFiles(plan('a.jsonl', ['a.jsonl']))!.message).toBe(`${file}:2: model: ${join(dir, 'a.jsonl')} is a file; expected a Hugging Face model folder`);
  });
});
