/**
 * The plan file's types, limits and defaults: the shape `parsePlan` returns and `planToJson`
 * stores. Plain data with no Node imports, so the renderer's wizard can share the same defaults
 * and slider ranges. resources/plan.schema.json states the same limits for editors.
 */
import { DATASET_FORMATS, FORMAT_FIELDS, type DatasetFormat } from './datasets/format-fields.js';
import type { NumberRule } from './plan-fields.js';

export const DATA_FORMATS = DATASET_FORMATS;
export type DataFormat = DatasetFormat;
/** The fields each dataset format reads (the readers' own table); `mapping.columns` maps these to the file's columns. */
export const MAPPING_FIELDS = FORMAT_FIELDS;
export const FREEZE_STRATEGIES = ['category', 'matrix', 'layer', 'parameter', 'full'] as const;
export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export const PLAN_BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** A task's column mapping (datasets' ColumnMapping): skips format detection. */
export interface PlanMapping {
  format: DataFormat;
  /** Our field name → the file's column name; only the renamed ones. */
  columns: Record<string, string>;
}

export interface PlanTask {
  name: string;
  /** Absolute path of the data file. */
  data: string;
  /** null: the format is detected from the file. */
  mapping: PlanMapping | null;
  /** Exactly one of epochs and steps is non-null (the task's own, else the training section's). */
  epochs: number | null;
  steps: number | null;
}

export interface PlanFreeze {
  strategy: (typeof FREEZE_STRATEGIES)[number];
  /** Fraction of parameters TRAINED per stage, 0 < ratio ≤ 1; 1 for strategy `full`. */
  ratio: number;
  seed: number;
  /** false: the stage-0 mask is reused for every stage. */
  redrawEachStage: boolean;
  freezeEmbeddings: boolean;
}

export interface PlanTraining {
  batchSize: number;
  gradAccum: number;
  lr: number;
  schedule: (typeof LR_SCHEDULES)[number];
  warmup: number; // optimizer steps
  weightDecay: number;
  clipNorm: number | null; // null: no clipping
  maxLength: number; // tokens
  shuffle: boolean;
  seed: number;
  /** The default for tasks that give neither; exactly one is non-null. */
  epochs: number | null;
  steps: number | null;
  checkpointEvery: number; // optimizer steps; 0: only at the end of each stage
}

export interface PlanEvaluation {
  evalFraction: number; // of each task's rows, held out
  maxExamples: number; // per task and evaluation
  probe: string | null; // absolute path
  maxNewTokens: number;
}

export type PlanBackend = (typeof PLAN_BACKENDS)[number];

export interface Plan {
  name: string;
  /** Absolute path of the Hugging Face model folder. */
  model: string;
  tasks: PlanTask[];
  freeze: PlanFreeze;
  training: PlanTraining;
  evaluation: PlanEvaluation;
  backend: PlanBackend;
  /** Where the plan came from, so checkPlanFiles can name lines. Not part of planToJson. */
  source: { file: string; lines: Record<string, number> };
}

export type PlanJson = Omit<Plan, 'source'>;

export const MAX_TASKS = 32;
export const MAX_NAME_LENGTH = 200;

/** Ranges of every number in a plan (inclusive min/max unless marked exclusive). */
export const PLAN_LIMITS = {
  ratio: { exclusiveMin: 0, max: 1 },
  seed: { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  epochs: { exclusiveMin: 0, max: 1000 },
  steps: { integer: true, min: 1, max: 10_000_000 },
  batchSize: { integer: true, min: 1, max: 4096 },
  gradAccum: { integer: true, min: 1, max: 1024 },
  lr: { exclusiveMin: 0, exclusiveMax: 1 },
  warmup: { integer: true, min: 0, max: 10_000_000 },
  weightDecay: { min: 0, max: 1 },
  clipNorm: { exclusiveMin: 0, max: 1_000_000 },
  maxLength: { integer: true, min: 2, max: 131_072 },
  checkpointEvery: { integer: true, min: 0, max: 10_000_000 },
  evalFraction: { min: 0, max: 0.5 },
  maxExamples: { integer: true, min: 1, max: 100_000 },
  maxNewTokens: { integer: true, min: 1, max: 4096 },
} as const satisfies Record<string, NumberRule>;

/** What a plan gets for each field it leaves out (for `hft run --help` and the wizard). */
export const DEFAULT_PLAN_VALUES: Readonly<{
  freeze: Readonly<PlanFreeze>;
  training: Readonly<PlanTraining>;
  evaluation: Readonly<PlanEvaluation>;
  backend: PlanBackend;
}> = deepFreeze({
  freeze: { strategy: 'category', ratio: 0.5, seed: 0, redrawEachStage: true, freezeEmbeddings: false },
  training: {
    batchSize: 8, gradAccum: 1, lr: 1e-4, schedule: 'cosine', warmup: 0, weightDecay: 0, clipNorm: 1, maxLength: 512,
    shuffle: true, seed: 0, epochs: 1, steps: null, checkpointEvery: 50,
  },
  evaluation: { evalFraction: 0.1, maxExamples: 64, probe: null, maxNewTokens: 32 },
  backend: 'auto',
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
