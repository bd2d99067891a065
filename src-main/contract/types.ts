/**
 * The domain types the renderer sees: plain JSON data (no class instances, no functions), the
 * same over Electron IPC and over `hft serve`'s WebSocket. Numbers that may be unknown are null,
 * never NaN (JSON has no NaN). Stages and tasks are 0-based here; views add 1 for people.
 */

export type RunStatus = 'queued' | 'running' | 'paused' | 'failed' | 'done';

export interface AppInfo {
  version: string;
  /** The app's data folder ($HFT_HOME or Electron's userData). */
  home: string;
  /** The bundled sample model folder, for "Try the sample". */
  sampleModel: string;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  strategy: string;
  ratio: number;
  modelPath: string;
  totalSteps: number;
  /** Optimizer steps recorded so far. */
  doneSteps: number;
  op: number | null;
  bwt: number | null;
  backend: string | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface StageView {
  index: number;
  taskName: string;
  steps: number;
  status: 'pending' | 'running' | 'done';
  /** Tensors trained in this stage (its HFT mask); null until the stage starts. */
  trainable: string[] | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The forgetting matrix (PAPER.md "Metrics"): R[k][i] exact-match accuracy after stage k on task i. */
export interface ForgettingView {
  /** R[k][i] accuracy, null where not evaluated or not checkable. T×T, lower triangle filled. */
  accuracy: (number | null)[][];
  /** The same layout for eval loss. */
  loss: (number | null)[][];
  /** The probe's accuracy after each stage (null without a probe). */
  probe: (number | null)[];
  /** The base model before any training: accuracy on each task, and on the probe. */
  base: { accuracy: (number | null)[]; probe: number | null };
  /** Overall performance: mean accuracy after the last stage. */
  op: number | null;
  /** Backward transfer: mean change on earlier tasks since each was trained (negative = forgotten). */
  bwt: number | null;
}

export interface RunDetail {
  run: RunSummary;
  tasks: string[];
  stages: StageView[];
  forgetting: ForgettingView;
}

export interface MetricPoint {
  step: number;
  stage: number;
  loss: number | null;
  lr: number | null;
  tokensPerS: number | null;
  memoryBytes: number | null;
}

export interface ModelInfo {
  path: string;
  architecture: 'llama' | 'mistral' | 'qwen2';
  layers: number;
  hiddenSize: number;
  heads: number;
  kvHeads: number;
  vocabSize: number;
  /** Longest sequence the engine computes exactly (context, or the sliding window). */
  maxLength: number;
  params: number;
  /** Stored dtype of the embedding (the model's main dtype). */
  dtype: string;
  hasChatTemplate: boolean;
}

/** The kinds of tensor in a decoder layer, in the order the mask picture shows them. */
export const LAYER_KINDS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'input_norm', 'post_norm'] as const;
export type LayerKind = (typeof LAYER_KINDS)[number];

export interface MaskView {
  strategy: string;
  ratio: number;
  seed: number;
  stage: number;
  /** grid[layer][kind] in LAYER_KINDS order: is that tensor trained in this stage. */
  grid: boolean[][];
  /** Embeddings, final norm and lm_head. */
  embeddingsTrained: boolean;
  trainableParams: number;
  totalParams: number;
}

/** What happens in a live run, pushed to the renderer as the `run.event` event. */
export type RunEvent =
  | { runId: string; kind: 'ready'; backend: string; device: string }
  | { runId: string; kind: 'stage-start'; stage: number; taskName: string; steps: number }
  | { runId: string; kind: 'step'; stage: number; step: number; loss: number | null; lr: number | null; tokensPerS: number | null; memoryBytes: number | null }
  | { runId: string; kind: 'eval'; afterStage: number; task: number; name: string; accuracy: number | null; loss: number | null }
  | { runId: string; kind: 'checkpoint'; stage: number; step: number }
  | { runId: string; kind: 'paused' | 'resumed' | 'stopped'; step: number }
  | { runId: string; kind: 'warning'; message: string }
  /** The trainer has ended: the run's status now, and the reason when it failed. */
  | { runId: string; kind: 'finished'; status: RunStatus; error: string | null };

/** Which compute backend training would use here, and the others tried (`hft probe`). */
export interface ProbeInfo {
  backend: string;
  device: string;
  /** Why this backend was chosen, in words. */
  reason: string;
  attempts: { name: string; ok: boolean; detail: string }[];
}

export type DatasetFormatName = 'alpaca' | 'messages' | 'prompt-completion' | 'text' | 'preference' | 'tokenized';

/** A row problem: 1-based line (0 = the whole file) and the reason in words. */
export interface RowProblem {
  line: number;
  reason: string;
}

/** What a dataset file would train, before it is imported. */
export interface DatasetPreview {
  fileName: string;
  /** How the file is laid out: JSON lines, a JSON array, or CSV. */
  container: 'jsonl' | 'json' | 'csv' | null;
  /** The format read: detected, or the one the mapping forces; null when no row says. */
  format: DatasetFormatName | null;
  /** The format detection alone would give (null when undecided). */
  detectedFormat: DatasetFormatName | null;
  /** Field names seen in the first rows, for the mapping override. */
  columns: string[];
  goodRows: number;
  /** Every bad row, line ordered (at most 200; `badRows` counts them all). */
  errors: RowProblem[];
  badRows: number;
  /** The first good rows: the prompt part and the trained part as text. */
  rows: { line: number; prompt: string; trained: string; tokens: number; truncated: boolean }[];
}

/** A dataset copied into the app's data folder after every row passed. */
export interface ImportedDatasetView {
  fileName: string;
  /** The content-addressed copy; what a plan's task `data` names. */
  path: string;
  sha256: string;
  format: DatasetFormatName;
  rows: number;
  truncated: number;
}

/** Trainable parameters per stage and the estimated peak memory of a training step. */
export interface TrainingEstimate {
  backend: string;
  totalParams: number;
  /** Per stage (0-based), what its mask trains. */
  stages: { stage: number; trainableParams: number }[];
  /** Estimated peak bytes of one step, the largest over the stages, and its parts. */
  peakBytes: number;
  parts: { weights: number; gradients: number; optimizer: number; activations: number };
  /** Memory the backend can use, when known (system RAM for CPU backends); null for GPUs. */
  availableBytes: number | null;
}

export type MergeKind = 'none' | 'average' | 'half-reset';

/** One merge candidate's forgetting matrix (`hft merges`). */
export interface MergeView {
  /** e.g. `average(alpha=0.5)`. */
  label: string;
  kind: MergeKind;
  forgetting: ForgettingView;
}

export interface ExportView {
  out: string;
  files: string[];
  format: 'safetensors' | 'gguf';
  merge: string;
  /** 0-based. */
  stage: number;
  bytes: number;
  warnings: string[];
}

/** Progress of a long job (an export or a merge evaluation) of a run. */
export interface JobProgress {
  runId: string;
  job: 'export' | 'merges';
  done: number;
  total: number;
}

/** A playground answer as it streams: text pieces, then the end. */
export type ChatEvent =
  | { chatId: string; kind: 'token'; text: string }
  | { chatId: string; kind: 'done'; stoppedBy: 'eos' | 'stop-string' | 'length' | 'interrupted'; tokens: number; msPerToken: number | null }
  | { chatId: string; kind: 'error'; message: string };
