/**
 * The New-run wizard's training settings and its three presets (quick, balanced, thorough), so a
 * person who does not know what a learning rate is can still pick a sensible run.
 *
 * Balanced is the sample demo's recipe (resources/sample/demo.plan.json: 150 steps per task,
 * batch 16, constant rate after a 10-step warm-up), which is known to teach the sample model its
 * tasks. Quick trains for less than half as long, thorough for over twice as long. The learning
 * rate follows the model's size (a big model needs smaller steps), and the longest example never
 * exceeds what the model can read. Everything else starts at the plan file's own defaults.
 */
import { DEFAULT_PLAN_VALUES, type PlanBackend, type PlanTraining } from '../src-main/contract/index.js';

export const PRESET_NAMES = ['quick', 'balanced', 'thorough'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
export const DEFAULT_PRESET: PresetName = 'balanced';

/** Everything the Settings step sets; the plan's training, evaluation and two freeze switches. */
export interface WizardSettings {
  /** Whether each task trains for a number of steps or a number of passes over its rows. */
  length: 'steps' | 'epochs';
  steps: number;
  epochs: number;
  lr: number;
  schedule: PlanTraining['schedule'];
  /** Optimizer steps at the start of each stage where the rate climbs from 0. */
  warmup: number;
  batchSize: number;
  /** Tokens per example; longer rows are cut. */
  maxLength: number;
  evalFraction: number;
  maxExamples: number;
  seed: number;
  backend: PlanBackend;
  checkpointEvery: number;
  freezeEmbeddings: boolean;
  redrawEachStage: boolean;
}

/** The settings a preset decides; the rest (seed, backend, checkpoints, freeze switches) it leaves alone. */
export const PRESET_FIELDS = ['length', 'steps', 'lr', 'schedule', 'warmup', 'batchSize', 'maxLength', 'evalFraction', 'maxExamples'] as const;
type PresetField = (typeof PRESET_FIELDS)[number];

export interface Preset {
  name: PresetName;
  label: string;
  /** One line: what choosing it means. */
  summary: string;
  steps: number;
  batchSize: number;
  /** Before capping at the model's own longest text. */
  maxLength: number;
  evalFraction: number;
  maxExamples: number;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  quick: {
    name: 'quick',
    label: 'Quick',
    summary: 'A short first try (60 steps per task) to check that everything works; the model may not learn each task fully.',
    steps: 60, batchSize: 8, maxLength: 256, evalFraction: 0.1, maxExamples: 32,
  },
  balanced: {
    name: 'balanced',
    label: 'Balanced (recommended)',
    summary: 'Long enough (150 steps per task) for the sample model to learn its tasks; the sample demo trains this long.',
    steps: 150, batchSize: 16, maxLength: 512, evalFraction: 0.1, maxExamples: 64,
  },
  thorough: {
    name: 'thorough',
    label: 'Thorough',
    summary: 'Trains over twice as long (400 steps per task) and tests on more rows. Takes the longest.',
    steps: 400, batchSize: 16, maxLength: 1024, evalFraction: 0.15, maxExamples: 128,
  },
};

/** What the presets need to know of the model (contract ModelInfo has both). */
export interface ModelSize {
  params: number;
  /** The longest text it reads, in tokens. */
  maxLength: number;
}

/**
 * A learning rate that suits a model of this many parameters: the sample demo's 5e-4 for tiny
 * models, the plan default 1e-4 below a billion, and 2e-5 (a common full fine-tuning rate for
 * 7B models) from a billion up.
 */
export function learningRateFor(params: number): number {
  if (params < 100_000_000) return 5e-4;
  if (params < 1_000_000_000) return DEFAULT_PLAN_VALUES.training.lr;
  return 2e-5;
}

/** The values preset `name` gives for this model (null: none chosen yet, so no cap). */
export function presetValues(name: PresetName, model: ModelSize | null): Pick<WizardSettings, PresetField> {
  const p = PRESETS[name];
  return {
    length: 'steps',
    steps: p.steps,
    lr: learningRateFor(model?.params ?? 0),
    schedule: 'constant',
    warmup: 10,
    batchSize: p.batchSize,
    maxLength: model === null ? p.maxLength : Math.min(p.maxLength, model.maxLength),
    evalFraction: p.evalFraction,
    maxExamples: p.maxExamples,
  };
}

/** A full set of settings: preset `name`, and the plan's defaults for the rest. */
export function defaultSettings(name: PresetName, model: ModelSize | null): WizardSettings {
  const { freeze, training, backend } = DEFAULT_PLAN_VALUES;
  return {
    ...presetValues(name, model),
    epochs: 3,
    seed: training.seed,
    backend,
    checkpointEvery: training.checkpointEvery,
    freezeEmbeddings: freeze.freezeEmbeddings,
    redrawEachStage: freeze.redrawEachStage,
  };
}

/** The preset the settings still equal in every field a preset decides, or null once changed by hand. */
export function matchingPreset(settings: WizardSettings, model: ModelSize | null): PresetName | null {
  return PRESET_NAMES.find((name) => {
    const values = presetValues(name, model);
    return PRESET_FIELDS.every((f) => values[f] === settings[f]);
  }) ?? null;
}
