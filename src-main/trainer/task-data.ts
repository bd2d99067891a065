/**
 * A task's rows as a run uses them: encoded with the model's tokenizer, split into train and eval
 * deterministically, and the stage's step count. The main side calls this to validate a plan and
 * count steps before anything is recorded; the trainer calls it again on the imported copy and
 * gets the same rows, because every step here is a pure function of the file and the settings.
 */
import { loadDataset, splitRows, type ColumnMapping, type EncodedRow } from '../formats/datasets/index.js';
import type { Tokenizer } from '../formats/tokenizer/types.js';

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
