/**
 * The plan file (resources/plan.schema.json) the New-run wizard sends to `runs.start`, and the
 * checks that keep its numbers inside the plan's limits before the user may go on. Pure: the
 * wizard store hands in what the user chose, and gets JSON text back.
 *
 * Every field is written out, so the plan says exactly what the wizard showed rather than leaning
 * on defaults. Every path is absolute (a task's `data` is the imported copy,
 * ImportedDatasetView.path), so the plan means the same wherever it is saved; runs.start still
 * wants a folder for relative paths, and gets the model's.
 */
import {
  DEFAULT_PLAN_VALUES,
  MAPPING_FIELDS,
  MAX_NAME_LENGTH,
  MAX_TASKS,
  PLAN_LIMITS,
  type NumberRule,
  type PlanFreeze,
  type PlanMapping,
} from '../src-main/contract/index.js';
import type { WizardSettings } from './presets.js';

export interface WizardTask {
  name: string;
  /** Absolute path of the imported copy. */
  data: string;
  /** The user's format override, or null when the format is detected from the file. */
  mapping: PlanMapping | null;
}

export interface WizardPlanInput {
  name: string;
  /** Absolute path of the model folder. */
  model: string;
  /** Absolute path of a file tested after every stage and never trained on (the sample's knowledge probe); null: none. */
  probe: string | null;
  tasks: WizardTask[];
  strategy: PlanFreeze['strategy'];
  /** Share of the model trained in each stage (ignored, written as 1, for strategy full). */
  ratio: number;
  settings: WizardSettings;
}

/** The mapping as the plan and the contract write it: only the chosen format's fields that name a column. */
export function cleanMapping(m: PlanMapping): { format: PlanMapping['format']; columns?: Record<string, string> } {
  const columns = Object.fromEntries(MAPPING_FIELDS[m.format].flatMap((f) => (m.columns[f] ? [[f, m.columns[f]]] : [])));
  return Object.keys(columns).length === 0 ? { format: m.format } : { format: m.format, columns };
}

/** "/a/b/qwen2-0.5b/" → "qwen2-0.5b". */
export const folderName = (path: string): string => path.split(/[\\/]+/).filter((p) => p !== '').pop() ?? path;
/** A file in a folder, with the folder's own separator (a Windows path may use only backslashes). */
export const inFolder = (folder: string, file: string): string => `${folder}${folder.includes('\\') && !folder.includes('/') ? '\\' : '/'}${file}`;
/** A typed path without spaces or a trailing separator around it (but "/" stays "/"). */
export const cleanPath = (path: string): string => path.trim().replace(/(.)[\\/]+$/, '$1');

/** A task name for a new file that none of `taken` has: "add", else "add 2", "add 3"… */
export function freeTaskName(fileName: string, taken: readonly string[]): string {
  const base = fileName.replace(/\.[^.]*$/, '') || fileName;
  const names = new Set(taken.map((t) => t.trim()));
  let name = base;
  for (let k = 2; names.has(name); k++) name = `${base} ${k}`;
  return name;
}

/** The plan as JSON text, and the folder its relative paths resolve against. */
export function buildPlan(input: WizardPlanInput): { planJson: string; baseDir: string } {
  const s = input.settings;
  const plan = {
    name: input.name.trim(),
    model: input.model,
    tasks: input.tasks.map((t) => ({
      name: t.name.trim(),
      data: t.data,
      ...(t.mapping === null ? {} : { mapping: cleanMapping(t.mapping) }),
    })),
    freeze: {
      strategy: input.strategy,
      ratio: input.strategy === 'full' ? 1 : input.ratio,
      seed: s.seed,
      redrawEachStage: s.redrawEachStage,
      freezeEmbeddings: s.freezeEmbeddings,
    },
    training: {
      batchSize: s.batchSize,
      gradAccum: DEFAULT_PLAN_VALUES.training.gradAccum,
      lr: s.lr,
      schedule: s.schedule,
      warmup: s.warmup,
      weightDecay: DEFAULT_PLAN_VALUES.training.weightDecay,
      clipNorm: DEFAULT_PLAN_VALUES.training.clipNorm,
      maxLength: s.maxLength,
      shuffle: DEFAULT_PLAN_VALUES.training.shuffle,
      seed: s.seed,
      ...(s.length === 'steps' ? { steps: s.steps } : { epochs: s.epochs }),
      checkpointEvery: s.checkpointEvery,
    },
    evaluation: {
      evalFraction: s.evalFraction,
      maxExamples: s.maxExamples,
      probe: input.probe,
      maxNewTokens: DEFAULT_PLAN_VALUES.evaluation.maxNewTokens,
    },
    backend: s.backend,
  };
  return { planJson: JSON.stringify(plan, null, 2), baseDir: input.model };
}

/** A setting the user must fix before going on: which one, and what to do, in words. */
export interface SettingProblem {
  field: keyof WizardSettings;
  message: string;
}

/** The settings' names as the Settings step labels them. */
export const SETTING_LABELS: Record<keyof WizardSettings, string> = {
  length: 'How long to train',
  steps: 'Steps per task',
  epochs: 'Passes over each task',
  lr: 'Learning rate',
  schedule: 'Learning-rate schedule',
  warmup: 'Warm-up steps',
  batchSize: 'Batch size',
  maxLength: 'Longest example',
  evalFraction: 'Rows kept for testing',
  maxExamples: 'Rows tested per task',
  seed: 'Seed',
  backend: 'Compute backend',
  checkpointEvery: 'Checkpoint every',
  freezeEmbeddings: 'Freeze the word embeddings',
  redrawEachStage: 'Pick a new half for each stage',
};

/** "a whole number from 1 to 4096", "a number more than 0 and less than 1". */
function rangeWords(r: NumberRule): string {
  const kind = r.integer ? 'a whole number' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max.toLocaleString('en-US')}`;
  const lo = r.min !== undefined ? `at least ${r.min}` : r.exclusiveMin !== undefined ? `more than ${r.exclusiveMin}` : null;
  const hi = r.max !== undefined ? `at most ${r.max}` : r.exclusiveMax !== undefined ? `less than ${r.exclusiveMax}` : null;
  return [kind, [lo, hi].filter((p) => p !== null).join(' and ')].filter((p) => p !== '').join(' ');
}

function fits(v: unknown, r: NumberRule): boolean {
  return (
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!r.integer || Number.isInteger(v)) &&
    (r.min === undefined || v >= r.min) &&
    (r.exclusiveMin === undefined || v > r.exclusiveMin) &&
    (r.max === undefined || v <= r.max) &&
    (r.exclusiveMax === undefined || v < r.exclusiveMax)
  );
}

/** Every number the plan would refuse (an empty box counts as no number). */
export function settingsProblems(s: WizardSettings): SettingProblem[] {
  const L = PLAN_LIMITS;
  const rules: [keyof WizardSettings, NumberRule][] = [
    [s.length === 'steps' ? 'steps' : 'epochs', s.length === 'steps' ? L.steps : L.epochs],
    ['lr', L.lr],
    ['warmup', L.warmup],
    ['batchSize', L.batchSize],
    ['maxLength', L.maxLength],
    ['evalFraction', L.evalFraction],
    ['maxExamples', L.maxExamples],
    ['seed', L.seed],
    ['checkpointEvery', L.checkpointEvery],
  ];
  return rules.filter(([f, r]) => !fits(s[f], r)).map(([f, r]) => ({ field: f, message: `${SETTING_LABELS[f]}: enter ${rangeWords(r)}.` }));
}

/** Why a task or run name would be refused, or null when it is fine. */
export function nameProblem(name: string, what: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return `Give the ${what} a name.`;
  if (trimmed.length > MAX_NAME_LENGTH) return `The ${what} name is too long: keep it to ${MAX_NAME_LENGTH} characters.`;
  // The plan refuses control characters (tabs, line breaks) in names.
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return `The ${what} name cannot hold tabs or line breaks.`;
  return null;
}

/** Why these tasks cannot make a plan (too few or many, a bad or repeated name), or null. */
export function tasksProblem(tasks: readonly { fileName: string; taskName: string }[]): string | null {
  if (tasks.length === 0) return 'Add at least one data file without problems: each becomes a task.';
  if (tasks.length > MAX_TASKS) return `A run can have at most ${MAX_TASKS} tasks; remove ${tasks.length - MAX_TASKS}.`;
  const seen = new Set<string>();
  for (const t of tasks) {
    const problem = nameProblem(t.taskName, 'task');
    if (problem !== null) return `${t.fileName}: ${problem}`;
    const name = t.taskName.trim();
    if (seen.has(name)) return `Two tasks are called “${name}”: give each its own name.`;
    seen.add(name);
  }
  return null;
}
