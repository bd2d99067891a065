/**
 * The typed protocol between the main side (services) and a trainer process (DESIGN §2).
 *
 * Both directions are tagged unions on `type`, sent as structured-clone messages over the fork
 * channel (child_process.fork now, Electron's utilityProcess later). Only plain data crosses:
 * no class instances, no functions. The main side is the only writer of SQLite: the trainer
 * reports, main records.
 */
import type { ColumnMapping } from '../formats/datasets/index.js';
import type { Mask, Strategy } from '../engine/masks.js';
import type { MergeSpec } from '../engine/merge.js';

/** One stage of the run, resolved by the main side (paths absolute, steps counted). */
export interface TrainerTask {
  name: string;
  /** The imported (content-addressed) copy of the dataset file. */
  data: string;
  mapping: ColumnMapping | null;
  /** Optimizer steps of this stage. */
  steps: number;
}

/** Everything a trainer needs to run (or continue) a run. */
export interface TrainerJob {
  runId: string;
  /** Checkpoints go under `<runDir>/stage-<k>/`. */
  runDir: string;
  modelDir: string;
  backend: string;
  tasks: TrainerTask[];
  freeze: { strategy: Strategy; ratio: number; seed: number; redrawEachStage: boolean; freezeEmbeddings: boolean };
  training: {
    batchSize: number;
    gradAccum: number;
    lr: number;
    schedule: 'constant' | 'cosine';
    warmup: number;
    weightDecay: number;
    clipNorm: number | null;
    maxLength: number;
    shuffle: boolean;
    seed: number;
    /** Write a mid-stage checkpoint every this many optimizer steps (0 = stage ends only). */
    checkpointEvery: number;
  };
  evaluation: { evalFraction: number; maxExamples: number; probe: string | null; maxNewTokens: number };
}

/** A checkpoint the trainer may continue from, as recorded by main (newest first in `start`). */
export interface CheckpointRef {
  path: string;
  manifestSha256: string;
}

/** Evaluate candidate merges of a run's stage-end weights with its base model (no training). */
export interface MergeEvalJob {
  job: TrainerJob;
  candidates: MergeSpec[];
  /** The finished stages to evaluate (0-based), each with its stage-end checkpoint. */
  stages: { stage: number; checkpoint: CheckpointRef }[];
}

export type ToTrainer =
  | { type: 'start'; job: TrainerJob; resumeFrom: CheckpointRef[] }
  | { type: 'evaluate-merges'; work: MergeEvalJob }
  /** Write a checkpoint, then wait for `resume` or `stop`. */
  | { type: 'pause' }
  | { type: 'resume' }
  /** Write a checkpoint (unless one was just written) and exit: the run stays resumable. */
  | { type: 'stop' };

/** The eval row key for the prior-knowledge probe (tasks are 0..T-1). */
export const PROBE_TASK = -1;

/** The `afterStage` of the base model's evaluation, before any training. */
export const BASE_STAGE = -1;

export type FromTrainer =
  | { type: 'ready'; backend: string; device: string; reason: string; resumedFrom: string | null; startStep: number }
  | { type: 'warning'; message: string }
  | { type: 'stage-start'; stage: number; taskName: string; steps: number; startStep: number; trainRows: number; evalRows: number; mask: Mask }
  | {
      type: 'step';
      stage: number;
      /** Global optimizer step, 1-based. */
      step: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokens: number;
      ms: number;
      memoryBytes: number;
    }
  | { type: 'checkpointing'; stage: number; step: number }
  | { type: 'checkpoint'; stage: number; step: number; stageEnd: boolean; path: string; manifestSha256: string }
  | { type: 'evaluating'; afterStage: number; sets: number }
  /** After stage `afterStage` (BASE_STAGE: before training), on task `task` (PROBE_TASK: the probe). accuracy: null when no row has a checkable answer. */
  | { type: 'eval'; afterStage: number; task: number; name: string; loss: number; accuracy: number | null; examples: number }
  /** The same for a candidate merge (`merge` is its label) of the weights after stage `afterStage`. */
  | { type: 'merge-eval'; merge: string; afterStage: number; task: number; name: string; loss: number; accuracy: number | null; examples: number }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | { type: 'stopped'; step: number }
  | { type: 'done' }
  | { type: 'error'; message: string; kind: 'out-of-memory' | 'data' | 'model' | 'internal' };
