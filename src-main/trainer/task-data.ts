/**
 * A task's rows as a run uses them: encoded with the model's tokenizer, split into train and eval
 * deterministically, and the stage's step count. The main side calls this to validate a plan and
 * count steps before anything is recorded; the trainer calls it again on the imported copy and
 * gets the same rows, because every step here is a pure function of the file and the settings.
 */
import { loadDataset, splitRows, type ColumnMapping, type EncodedRow } from '../formats/datasets/index.js';
import type { ModelConfig } from '../formats/hf-config.js';
import type { Tokenizer } from '../formats/tokenizer/types.js';
import { BASE_STAGE, PROBE_TASK, type TrainerJob } from './protocol.js';

export interface TaskData {
  train: EncodedRow[];
  eval: EncodedRow[];
  format: string;
  /** Rows cut to the maximum length. */
  truncated: number;
}

export interface TaskDataOptions {
  maxLength: number;
  vocabSize: number;
  mapping: ColumnMapping | null;
  evalFraction: number;
  maxEval: number;
  seed: number;
}

export function loadTaskData(file: string, tokenizer: Tokenizer, opts: TaskDataOptions): TaskData {
  const ds = loadDataset(file, tokenizer, { maxLength: opts.maxLength, vocabSize: opts.vocabSize, mapping: opts.mapping ?? undefined });
  const { train, eval: evalRows } = splitRows(ds.rows, { evalFraction: opts.evalFraction, maxEval: opts.maxEval, seed: opts.seed });
  return { train, eval: evalRows, format: ds.format, truncated: ds.truncated };
}

/** The probe set is evaluated whole (up to `maxEval` rows, in file order): it is never trained on. */
export function loadProbe(file: string, tokenizer: Tokenizer, opts: Omit<TaskDataOptions, 'evalFraction' | 'seed' | 'mapping'>): EncodedRow[] {
  return loadDataset(file, tokenizer, { maxLength: opts.maxLength, vocabSize: opts.vocabSize }).rows.slice(0, opts.maxEval);
}

/** Optimizer steps of a stage: given, or enough for `epochs` passes over the train rows (at least 1). */
export function stageSteps(trainRows: number, batchSize: number, gradAccum: number, steps: number | null, epochs: number): number {
  if (steps != null) return steps;
  return Math.max(1, Math.ceil((epochs * trainRows) / (batchSize * gradAccum)));
}

/** Every task's rows and the probe, as the job's settings cut and split them. */
export function loadJobData(job: TrainerJob, cfg: ModelConfig, tokenizer: Tokenizer): { tasks: TaskData[]; probe: EncodedRow[] | null } {
  const sizes = { maxLength: Math.min(job.training.maxLength, cfg.maxSequenceLength), vocabSize: cfg.vocabSize };
  const tasks = job.tasks.map((t) =>
    loadTaskData(t.data, tokenizer, { ...sizes, mapping: t.mapping, evalFraction: job.evaluation.evalFraction, maxEval: job.evaluation.maxExamples, seed: job.training.seed }),
  );
  const probe = job.evaluation.probe == null ? null : loadProbe(job.evaluation.probe, tokenizer, { ...sizes, maxEval: job.evaluation.maxExamples });
  return { tasks, probe };
}

export interface EvalSet {
  /** Task index, or PROBE_TASK. */
  task: number;
  name: string;
  rows: EncodedRow[];
}

/**
 * Row k of the forgetting matrix: the eval rows of every task seen after stage k (all of them for
 * the base model, BASE_STAGE), then the probe.
 */
export function evalSets(job: TrainerJob, data: { tasks: TaskData[]; probe: EncodedRow[] | null }, k: number): EvalSet[] {
  const seen = k === BASE_STAGE ? data.tasks.length - 1 : k;
  const sets: EvalSet[] = [];
  for (let i = 0; i <= seen; i++) sets.push({ task: i, name: job.tasks[i].name, rows: data.tasks[i].eval });
  if (data.probe != null) sets.push({ task: PROBE_TASK, name: 'prior knowledge', rows: data.probe });
  return sets;
}
