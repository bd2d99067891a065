/**
 * The plan file (PLAN.json): a multi-stage HFT run, as written by hand or by the wizard, for
 * `hft run PLAN.json`.
 *
 * `parsePlan` turns the text into a fully defaulted, typed Plan with absolute paths (relative ones
 * resolve against the plan file's folder). It reports every mistake at once, each as
 * `file:line: field: reason`, where the line is where the offending value starts (for a missing
 * field, where its parent object starts). It does not touch the disk: `checkPlanFiles` checks
 * that the model folder and data files exist, with the same style of errors. `planToJson` gives
 * the normalised plan for the database; it parses back to the same Plan.
 *
 * resources/plan.schema.json states the same rules as a JSON Schema for editors; the tests hold
 * the two to agreement. Types, limits and defaults live in plan-types.ts (re-exported here).
 * Knows nothing of tfjs: strategy and backend names are spelled out in plan-types.ts.
 */
import { statSync } from 'node:fs';
import { basename, dirname, extname, join as joinPath, resolve } from 'node:path';
import { JsonSyntaxError, parseLocated, type JsonNode, type JsonObjectNode } from './json-locate.js';
import {
  asObject,
  checkKeys,
  closest,
  describe,
  get,
  IssueList,
  join,
  normalise,
  readBoolean,
  readChoice,
  readNumber,
  readString,
  type NumberRule,
  type PlanIssue,
} from './plan-fields.js';

import {
  DATA_FORMATS,
  DEFAULT_PLAN_VALUES,
  FREEZE_STRATEGIES,
  LR_SCHEDULES,
  MAPPING_FIELDS,
  MAX_NAME_LENGTH,
  MAX_TASKS,
  PLAN_BACKENDS,
  PLAN_LIMITS,
  type DataFormat,
  type Plan,
  type PlanEvaluation,
  type PlanFreeze,
  type PlanJson,
  type PlanBackend,
  type PlanMapping,
  type PlanTask,
  type PlanTraining,
} from './plan-types.js';

export type { PlanIssue } from './plan-fields.js';
export * from './plan-types.js';

/** Other tools' names for our choices (normalised), for "did you mean". */
const FORMAT_ALIASES: Record<string, DataFormat> = {
  sharegpt: 'messages', chat: 'messages', chatml: 'messages', conversations: 'messages', conversation: 'messages',
  completion: 'prompt-completion', dpo: 'preference', pairs: 'preference', raw: 'text', plain: 'text',
  instruct: 'alpaca', instruction: 'alpaca', ids: 'tokenized', tokens: 'tokenized',
};
const STRATEGY_ALIASES: Record<string, PlanFreeze['strategy']> = {
  half: 'category', hft: 'category', fft: 'full', none: 'full', model: 'matrix', modellevel: 'matrix', element: 'parameter',
};
const SCHEDULE_ALIASES: Record<string, PlanTraining['schedule']> = { cos: 'cosine', fixed: 'constant', none: 'constant', constantwithwarmup: 'constant' };
const BACKEND_ALIASES: Record<string, PlanBackend> = { cuda: 'tensorflow', tfjsnode: 'tensorflow', vulkan: 'webgpu', metal: 'webgpu', gpu: 'auto', js: 'cpu' };

type FieldRule =
  | { type: 'number'; limits: NumberRule; nullable?: boolean }
  | { type: 'boolean' }
  | { type: 'choice'; choices: readonly string[]; aliases: Readonly<Record<string, string>> }
  | { type: 'path'; nullable?: boolean };

const num = (limits: NumberRule, nullable = false): FieldRule => ({ type: 'number', limits, nullable });
const BOOL: FieldRule = { type: 'boolean' };
const L = PLAN_LIMITS;

const FREEZE_RULES: Record<keyof PlanFreeze, FieldRule> = {
  strategy: { type: 'choice', choices: FREEZE_STRATEGIES, aliases: STRATEGY_ALIASES },
  ratio: num(L.ratio), seed: num(L.seed), redrawEachStage: BOOL, freezeEmbeddings: BOOL,
};
const TRAINING_RULES: Record<keyof PlanTraining, FieldRule> = {
  batchSize: num(L.batchSize), gradAccum: num(L.gradAccum), lr: num(L.lr),
  schedule: { type: 'choice', choices: LR_SCHEDULES, aliases: SCHEDULE_ALIASES },
  warmup: num(L.warmup), weightDecay: num(L.weightDecay), clipNorm: num(L.clipNorm, true),
  maxLength: num(L.maxLength), shuffle: BOOL, seed: num(L.seed),
  epochs: num(L.epochs, true), steps: num(L.steps, true), checkpointEvery: num(L.checkpointEvery),
};
const EVALUATION_RULES: Record<keyof PlanEvaluation, FieldRule> = {
  evalFraction: num(L.evalFraction), maxExamples: num(L.maxExamples), probe: { type: 'path', nullable: true },
  maxNewTokens: num(L.maxNewTokens),
};
const ROOT_KEYS = ['$schema', 'name', 'model', 'tasks', 'freeze', 'training', 'evaluation', 'backend'];
const TASK_KEYS = ['name', 'data', 'mapping', 'epochs', 'steps'];
const MAPPING_KEYS = ['format', 'columns'];
const ALL_COLUMNS = [...new Set(Object.values(MAPPING_FIELDS).flat())];

/** Every section's keys, for suggesting a key given at the wrong level ("lr" at the top). */
const SECTIONS: Record<string, readonly string[]> = {
  '': ROOT_KEYS,
  freeze: Object.keys(FREEZE_RULES),
  training: Object.keys(TRAINING_RULES),
  evaluation: Object.keys(EVALUATION_RULES),
  'tasks[]': TASK_KEYS,
  'tasks[].mapping': MAPPING_KEYS,
};

/** Names other fine-tuning tools use (normalised: lower case, no separators) → our field. */
const ALIASES: Record<string, string> = {
  learningrate: 'training.lr', lrschedule: 'training.schedule', scheduler: 'training.schedule',
  lrschedulertype: 'training.schedule', warmupsteps: 'training.warmup', numwarmupsteps: 'training.warmup',
  gradientaccumulation: 'training.gradAccum', gradientaccumulationsteps: 'training.gradAccum',
  accumsteps: 'training.gradAccum', maxgradnorm: 'training.clipNorm', gradclip: 'training.clipNorm',
  clipgrad: 'training.clipNorm', gradientclipping: 'training.clipNorm', maxseqlength: 'training.maxLength',
  maxseqlen: 'training.maxLength', seqlen: 'training.maxLength', cutofflen: 'training.maxLength',
  contextlength: 'training.maxLength', numepochs: 'training.epochs', numtrainepochs: 'training.epochs',
  maxsteps: 'training.steps', numsteps: 'training.steps', perdevicetrainbatchsize: 'training.batchSize',
  microbatchsize: 'training.batchSize', bs: 'training.batchSize', wd: 'training.weightDecay',
  savesteps: 'training.checkpointEvery', saveevery: 'training.checkpointEvery',
  freezeratio: 'freeze.ratio', trainratio: 'freeze.ratio', maskstrategy: 'freeze.strategy',
  freezestrategy: 'freeze.strategy', mask: 'freeze.strategy', evalsplit: 'evaluation.evalFraction',
  evalratio: 'evaluation.evalFraction', valsplit: 'evaluation.evalFraction',
  validationsplit: 'evaluation.evalFraction', datasets: 'tasks', stages: 'tasks', dataset: 'tasks[].data',
  datafile: 'tasks[].data', path: 'tasks[].data', file: 'tasks[].data', format: 'tasks[].mapping.format',
  columns: 'tasks[].mapping.columns', modelpath: 'model', modeldir: 'model', basemodel: 'model',
  device: 'backend',
};

/** The field path an unknown `key` in `section` probably meant (task index filled in). */
function suggestFor(section: string, taskIndex = 0): (key: string) => string | undefined {
  const show = (path: string): string => path.replace('tasks[]', `tasks[${taskIndex}]`);
  return (key) => {
    const alias = ALIASES[normalise(key)];
    if (alias) return show(alias);
    const here = closest(key, SECTIONS[section]);
    if (here) return show(join(section, here));
    for (const [other, keys] of Object.entries(SECTIONS)) {
      const hit = keys.find((k) => normalise(k) === normalise(key));
      if (hit) return show(join(other, hit));
    }
    return undefined;
  };
}

export class PlanError extends Error {
  constructor(readonly issues: PlanIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${first.file}:${first.line}: ${first.field ? `${first.field}: ` : ''}${first.reason}${more}`);
    this.name = 'PlanError';
  }
}

/** Parses and validates a plan; throws PlanError listing every problem. `file` names it in errors. */
export function parsePlan(text: string, file: string): Plan {
  const list = new IssueList(file);
  let root: JsonNode;
  try {
    root = parseLocated(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw new PlanError([{ file, line: e.line, field: '', reason: `invalid JSON at column ${e.column}: ${e.reason}` }]);
  }
  const obj = asObject(list, root, 'plan', 'a JSON object: {"model": ..., "tasks": [...]}');
  if (!obj) throw new PlanError(list.issues);
  const dir = dirname(resolve(file));
  const lines: Record<string, number> = {};
  checkKeys(list, obj, '', ROOT_KEYS, suggestFor(''));

  const schemaNode = get(obj, '$schema');
  // Editors read "$schema"; we only check it is text.
  if (schemaNode && schemaNode.kind !== 'string') list.add(schemaNode.line, '$schema', `expected text in double quotes, found ${describe(schemaNode)}`);
  const nameNode = get(obj, 'name');
  const name = (nameNode && readString(list, nameNode, 'name', { label: true, maxLength: MAX_NAME_LENGTH })) || basename(file, extname(file));

  const modelNode = get(obj, 'model');
  let model = '';
  if (!modelNode) list.add(obj.line, 'model', 'required field is missing: the path of a Hugging Face model folder');
  else {
    model = readPath(list, modelNode, 'model', dir) ?? '';
    lines.model = modelNode.line;
  }

  const freeze = readSection(list, obj, 'freeze', FREEZE_RULES, DEFAULT_PLAN_VALUES.freeze, dir, lines);
  if (freeze.strategy === 'full') freeze.ratio = 1;
  const training = readSection(list, obj, 'training', TRAINING_RULES, DEFAULT_PLAN_VALUES.training, dir, lines);
  // At most one of epochs and steps: steps alone count every stage in steps; neither means 1 epoch.
  const trainingObj = get(obj, 'training');
  const given = (key: string): JsonNode | undefined => (trainingObj?.kind === 'object' ? get(trainingObj, key) : undefined);
  const stepsNode = given('steps');
  if (given('epochs')?.kind === 'number' && stepsNode?.kind === 'number') list.add(stepsNode.line, 'training.steps', 'give epochs or steps, not both');
  if (given('epochs')?.kind !== 'number' && training.steps !== null) training.epochs = null;
  else training.steps = null;
  if (training.epochs === null && training.steps === null) training.epochs = 1;
  const evaluation = readSection(list, obj, 'evaluation', EVALUATION_RULES, DEFAULT_PLAN_VALUES.evaluation, dir, lines);
  const backendNode = get(obj, 'backend');
  const backend = (backendNode && readChoice(list, backendNode, 'backend', PLAN_BACKENDS, BACKEND_ALIASES)) || DEFAULT_PLAN_VALUES.backend;

  const tasks = readTasks(list, obj, training, dir, lines);
  if (list.issues.length > 0) throw new PlanError([...list.issues].sort((a, b) => a.line - b.line));
  return { name, model, tasks, freeze, training, evaluation, backend, source: { file: resolve(file), lines } };
}

function readPath(list: IssueList, node: JsonNode, field: string, dir: string): string | undefined {
  const v = readString(list, node, field);
  return typeof v === 'string' ? resolve(dir, v) : undefined;
}

function readSection<T extends object>(
  list: IssueList,
  parent: JsonObjectNode,
  section: string,
  rules: Record<keyof T, FieldRule>,
  defaults: Readonly<T>,
  dir: string,
  lines: Record<string, number>,
): T {
  const out = Object.assign({}, defaults) as Record<string, unknown>;
  const node = get(parent, section);
  if (!node) return out as T;
  const obj = asObject(list, node, section);
  if (!obj) return out as T;
  checkKeys(list, obj, section, Object.keys(rules), suggestFor(section));
  for (const [key, rule] of Object.entries(rules) as [string, FieldRule][]) {
    const value = get(obj, key);
    if (!value) continue;
    const field = `${section}.${key}`;
    let v: unknown;
    if (rule.type === 'number') v = readNumber(list, value, field, rule.limits, rule.nullable);
    else if (rule.type === 'boolean') v = readBoolean(list, value, field);
    else if (rule.type === 'choice') v = readChoice(list, value, field, rule.choices, rule.aliases);
    else {
      v = value.kind === 'null' && rule.nullable ? null : readPath(list, value, field, dir);
      lines[field] = value.line;
    }
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

function readTasks(list: IssueList, root: JsonObjectNode, training: PlanTraining, dir: string, lines: Record<string, number>): PlanTask[] {
  const node = get(root, 'tasks');
  if (!node) {
    list.add(root.line, 'tasks', 'required field is missing: a list of tasks, each like {"data": "file.jsonl"}');
    return [];
  }
  if (node.kind !== 'array') {
    list.add(node.line, 'tasks', `expected a list of tasks, found ${describe(node)}`);
    return [];
  }
  if (node.items.length === 0) list.add(node.line, 'tasks', 'needs at least one task');
  if (node.items.length > MAX_TASKS) list.add(node.line, 'tasks', `at most ${MAX_TASKS} tasks, found ${node.items.length}`);
  const tasks: PlanTask[] = [];
  node.items.forEach((item, i) => {
    const path = `tasks[${i}]`;
    const obj = asObject(list, item, path, 'a task object like {"data": "file.jsonl"}');
    if (!obj) return;
    checkKeys(list, obj, path, TASK_KEYS, suggestFor('tasks[]', i));
    const dataNode = get(obj, 'data');
    let data = '';
    if (!dataNode) list.add(obj.line, `${path}.data`, 'required field is missing: the path of the data file');
    else {
      data = readPath(list, dataNode, `${path}.data`, dir) ?? '';
      lines[`${path}.data`] = dataNode.line;
    }
    const nameNode = get(obj, 'name');
    const name = (nameNode && readString(list, nameNode, `${path}.name`, { label: true, maxLength: MAX_NAME_LENGTH })) || basename(data, extname(data)) || `task ${i + 1}`;
    const epochsNode = get(obj, 'epochs');
    const stepsNode = get(obj, 'steps');
    const epochs = epochsNode ? readNumber(list, epochsNode, `${path}.epochs`, L.epochs, true) : undefined;
    const steps = stepsNode ? readNumber(list, stepsNode, `${path}.steps`, L.steps, true) : undefined;
    if (epochsNode?.kind === 'number' && stepsNode?.kind === 'number') list.add(stepsNode.line, `${path}.steps`, 'give epochs or steps, not both');
    const mapping = readMapping(list, get(obj, 'mapping'), path, i);
    if (typeof epochs === 'number') tasks.push({ name, data, mapping, epochs, steps: null });
    else if (typeof steps === 'number') tasks.push({ name, data, mapping, epochs: null, steps });
    else tasks.push({ name, data, mapping, epochs: training.epochs, steps: training.steps });
  });
  return tasks;
}

function readMapping(list: IssueList, node: JsonNode | undefined, taskPath: string, taskIndex: number): PlanMapping | null {
  if (!node || node.kind === 'null') return null;
  const path = `${taskPath}.mapping`;
  const obj = asObject(list, node, path, 'an object like {"format": "alpaca", "columns": {"output": "answer"}}');
  if (!obj) return null;
  checkKeys(list, obj, path, MAPPING_KEYS, suggestFor('tasks[].mapping', taskIndex));
  const formatNode = get(obj, 'format');
  let format: DataFormat | undefined;
  if (!formatNode) list.add(obj.line, `${path}.format`, `required field is missing: the data format, one of ${DATA_FORMATS.join(', ')}`);
  else format = readChoice(list, formatNode, `${path}.format`, DATA_FORMATS, FORMAT_ALIASES);
  const out: PlanMapping = { format: format ?? 'text', columns: {} };
  const columnsNode = get(obj, 'columns');
  if (!columnsNode || columnsNode.kind === 'null') return out;
  const columns = asObject(list, columnsNode, `${path}.columns`, 'an object like {"output": "answer"}');
  if (!columns) return out;
  // With the format unknown (already reported), still refuse names no format has.
  const fields = format ? MAPPING_FIELDS[format] : ALL_COLUMNS;
  const unknown = format ? `not a field of the ${format} format` : 'not a field of any data format';
  checkKeys(list, columns, `${path}.columns`, fields, (key) => closest(key, fields), unknown);
  for (const e of columns.entries) {
    const v = readString(list, e.value, `${path}.columns.${e.key}`);
    if (typeof v === 'string' && !(e.key in out.columns)) out.columns[e.key] = v;
  }
  return out;
}

/**
 * Checks what parsePlan leaves alone: the model folder exists and has config.json, each data
 * file (and the probe, if any) exists and is a file. Null when all is well.
 */
export function checkPlanFiles(plan: Plan): PlanError | null {
  const list = new IssueList(plan.source.file);
  const at = (field: string): number => plan.source.lines[field] ?? 1;
  const kind = (p: string): 'file' | 'folder' | 'missing' | string => {
    try {
      return statSync(p).isDirectory() ? 'folder' : 'file';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : `unreadable (${code ?? String(e)})`;
    }
  };
  const model = kind(plan.model);
  if (model === 'missing') list.add(at('model'), 'model', `model folder not found: ${plan.model}`);
  else if (model === 'file') list.add(at('model'), 'model', `${plan.model} is a file; expected a Hugging Face model folder`);
  else if (model !== 'folder') list.add(at('model'), 'model', `${plan.model} is ${model}`);
  else if (kind(joinPath(plan.model, 'config.json')) !== 'file') {
    list.add(at('model'), 'model', `${plan.model} has no config.json; is it a Hugging Face model folder?`);
  }
  const files: [field: string, path: string, what: string][] = plan.tasks.map((t, i) => [`tasks[${i}].data`, t.data, 'data file']);
  if (plan.evaluation.probe !== null) files.push(['evaluation.probe', plan.evaluation.probe, 'probe file']);
  for (const [field, path, what] of files) {
    const k = kind(path);
    if (k === 'missing') list.add(at(field), field, `${what} not found: ${path}`);
    else if (k === 'folder') list.add(at(field), field, `${path} is a folder; expected a ${what}`);
    else if (k !== 'file') list.add(at(field), field, `${path} is ${k}`);
  }
  return list.issues.length ? new PlanError(list.issues.sort((a, b) => a.line - b.line)) : null;
}

/** The normalised plan as JSON text (absolute paths, every default spelled out), for the database. */
export function planToJson(plan: Plan): string {
  const { name, model, tasks, freeze, training, evaluation, backend } = plan;
  const json: PlanJson = { name, model, tasks, freeze, training, evaluation, backend };
  return JSON.stringify(json, null, 2);
}
