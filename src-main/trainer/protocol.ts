/**
 * The typed protocol between the main side (services) and a trainer process (DESIGN §2).
 *
 * Both directions are tagged unions on `type`, sent as structured-clone messages over the fork
 * channel (child_process.fork now, Electron's utilityProcess later). Only plain data crosses:
 * no class instances, no functions. The main side is the only writer of SQLite: the trainer
 * reports, main records.
 */
import type { ColumnMapping } from '../formats/datasets/index.js';
import type { ChatMessage } from '../formats/tokenizer/types.js';
import type { BackendAttempt } from '../engine/backend.js';
import type { AnswerStop, ChatSettings } from '../engine/chat.js';
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

/** The model a playground worker answers with: a base model folder, or a finished stage's weights. */
export interface ChatModelRef {
  /** The base model folder (config, tokenizer; its own weights when `checkpoint` is null). */
  modelDir: string;
  /** A stage-end checkpoint whose weights answer, merged with the base per `merge`; null: the base model. */
  checkpoint: CheckpointRef | null;
  merge: MergeSpec;
  /** The run's backend choice ('auto' or a name). */
  backend: string;
}

export type ToTrainer =
  | { type: 'start'; job: TrainerJob; resumeFrom: CheckpointRef[] }
  | { type: 'evaluate-merges'; work: MergeEvalJob }
  /** Find out which backend works here (answered by `probe-result`), then exit. */
  | { type: 'probe' }
  /** Load a model for the playground, then answer `chat-ask`s one at a time until killed. */
  | { type: 'chat-load'; model: ChatModelRef }
  | { type: 'chat-ask'; chatId: string; messages: ChatMessage[]; settings: ChatSettings }
  /** End that answer where it is (it finishes as 'interrupted'); nothing if it already ended. */
  | { type: 'chat-stop'; chatId: string }
  /** Write a checkpoint, then wait for `resume` or `stop`. */
  | { type: 'pause' }
  | { type: 'resume' }
  /** Write a checkpoint (unless one was just written) and exit: the run stays resumable. */
  | { type: 'stop' };

/** The first messages, one of which starts a trainer process and says what it is for. */
export type FirstMessage = Extract<ToTrainer, { type: 'start' | 'evaluate-merges' | 'probe' | 'chat-load' }>;

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
  /** The backend auto-selection chose, and every candidate tried (the answer to `probe`). */
  | { type: 'probe-result'; backend: string; device: string; reason: string; attempts: BackendAttempt[] }
  /** A piece of a playground answer's text, in order. */
  | { type: 'chat-token'; chatId: string; text: string }
  | { type: 'chat-done'; chatId: string; stoppedBy: AnswerStop; tokens: number; msPerToken: number | null }
  /** That answer failed (e.g. the conversation is too long); the worker keeps serving. */
  | { type: 'chat-error'; chatId: string; message: string }
  | { type: 'error'; message: string; kind: 'out-of-memory' | 'data' | 'model' | 'internal' };

/** Whether `m` says the process's work is complete (it exits cleanly next). */
export const isFinalMessage = (m: FromTrainer): boolean => m.type === 'done' || m.type === 'stopped' || m.type === 'probe-result';
