/**
 * The contract's methods: for each, the schema its argument must pass (checked by the IPC gate and
 * the WebSocket server before any handler runs) and the type of its result. The renderer calls
 * them through `api.ts`; the preload exposes exactly these names.
 */
import { arr, bool, num, obj, oneOf, opt, str, type Infer, type Schema } from './schema.js';
import type {
  AppInfo,
  ChatEvent,
  DatasetPreview,
  ExportView,
  ImportedDatasetView,
  JobProgress,
  MaskView,
  MergeView,
  MetricPoint,
  ModelInfo,
  ProbeInfo,
  RunDetail,
  RunEvent,
  RunSummary,
  TrainingEstimate,
} from './types.js';

const runId = str({ min: 1, max: 200 });
const path = str({ min: 1, max: 4096 });
const strategy = oneOf(['category', 'matrix', 'layer', 'parameter', 'full'] as const);
const field = opt(str({ min: 1, max: 200 }));
/** A column mapping: the format, and the file's column name for each of our fields. */
const mapping = opt(
  obj({
    format: oneOf(['alpaca', 'messages', 'prompt-completion', 'text', 'preference', 'tokenized'] as const),
    columns: opt(obj({ instruction: field, input: field, output: field, messages: field, role: field, content: field, prompt: field, completion: field, text: field, chosen: field, rejected: field, input_ids: field, labels: field })),
  }),
);
/** A dataset file's bytes as text, sent by the renderer (drag and drop or a file picker). */
const datasetFile = obj({ fileName: str({ min: 1, max: 255 }), content: str({ max: 12 * 1024 * 1024 }), modelPath: path, mapping, maxLength: opt(num({ int: true, min: 2, max: 1_000_000 })) });
const merge = oneOf(['none', 'average', 'half-reset'] as const);

export const METHODS = {
  'app.info': { params: obj({}) },
  'runs.list': { params: obj({}) },
  'runs.get': { params: obj({ runId }) },
  'runs.metrics': { params: obj({ runId, afterStep: opt(num({ int: true, min: 0 })) }) },
  'runs.delete': { params: obj({ runId }) },
  /** A plan (resources/plan.schema.json) as JSON text; relative paths in it are relative to baseDir. */
  'runs.start': { params: obj({ planJson: str({ min: 2, max: 1_000_000 }), baseDir: path }) },
  /** Hold a live run at its next checkpoint. */
  'runs.pause': { params: obj({ runId }) },
  /** Let a paused live run go on, or continue a stopped or failed run from its newest checkpoint. */
  'runs.resume': { params: obj({ runId }) },
  /** End a live run at a checkpoint; it stays resumable. */
  'runs.stop': { params: obj({ runId }) },
  'models.inspect': { params: obj({ path }) },
  /** A native folder picker (Electron only; a browser cannot hand over a folder's path). */
  'app.pickFolder': { params: obj({ title: str({ min: 1, max: 200 }) }) },
  /** Which compute backend training would use (tried in a worker process). */
  'app.probe': { params: obj({}) },
  /** Reads a dataset file through the import's validators without keeping it. */
  'datasets.preview': { params: datasetFile },
  /** Validates every row (all or nothing), then copies the file into the app's data folder. */
  'datasets.import': { params: datasetFile },
  'runs.estimate': {
    params: obj({
      modelPath: path,
      strategy,
      ratio: num({ min: 0.01, max: 1 }),
      seed: num({ int: true, min: 0 }),
      stages: num({ int: true, min: 1, max: 1000 }),
      freezeEmbeddings: bool(),
      batchSize: num({ int: true, min: 1, max: 4096 }),
      maxLength: num({ int: true, min: 2, max: 1_000_000 }),
    }),
  },
  /** Evaluates the merge candidates of a run's finished stages (recorded; asking again reads them). */
  'merges.evaluate': { params: obj({ runId, alpha: opt(num({ min: 0, max: 1 })), seed: opt(num({ int: true, min: 0 })) }) },
  'exports.create': {
    params: obj({
      runId,
      out: path,
      format: oneOf(['safetensors', 'gguf'] as const),
      ggufType: opt(oneOf(['F32', 'F16', 'Q8_0'] as const)),
      merge,
      alpha: opt(num({ min: 0, max: 1 })),
      seed: opt(num({ int: true, min: 0 })),
      /** 0-based; default the last finished stage. */
      stage: opt(num({ int: true, min: 0 })),
      force: opt(bool()),
    }),
  },
  /** Starts a streamed playground answer from a run's base model or its fine-tuned weights; `chat.event`s follow. */
  'chat.ask': {
    params: obj({
      runId,
      side: oneOf(['base', 'fine-tuned'] as const),
      /** 0-based; default the last finished stage. */
      stage: opt(num({ int: true, min: 0 })),
      messages: arr(obj({ role: oneOf(['system', 'user', 'assistant'] as const), content: str({ max: 100_000 }) }), { max: 200 }),
      maxNewTokens: opt(num({ int: true, min: 1, max: 4096 })),
      temperature: opt(num({ min: 0, max: 5 })),
      seed: opt(num({ int: true, min: 0 })),
    }),
  },
  'chat.stop': { params: obj({ chatId: str({ min: 1, max: 200 }) }) },
  'masks.draw': {
    params: obj({
      modelPath: path,
      strategy,
      ratio: num({ min: 0.01, max: 1 }),
      seed: num({ int: true, min: 0 }),
      stage: num({ int: true, min: 0, max: 10_000 }),
      freezeEmbeddings: bool(),
    }),
  },
} satisfies Record<string, { params: Schema<unknown> }>;

export type MethodName = keyof typeof METHODS;
export type Params<M extends MethodName> = Infer<(typeof METHODS)[M]['params']>;

/** What each method resolves with. */
export interface Results {
  'app.info': AppInfo;
  'runs.list': RunSummary[];
  'runs.get': RunDetail;
  'runs.metrics': MetricPoint[];
  'runs.delete': { deleted: boolean };
  'runs.start': { runId: string };
  'runs.pause': Record<string, never>;
  'runs.resume': Record<string, never>;
  'runs.stop': Record<string, never>;
  'models.inspect': ModelInfo;
  'masks.draw': MaskView;
  'app.pickFolder': { path: string | null };
  'app.probe': ProbeInfo;
  'datasets.preview': DatasetPreview;
  'datasets.import': ImportedDatasetView;
  'runs.estimate': TrainingEstimate;
  'merges.evaluate': MergeView[];
  'exports.create': ExportView;
  'chat.ask': { chatId: string };
  'chat.stop': Record<string, never>;
}

export type Result<M extends MethodName> = Results[M];

/** The API object the preload exposes and `api.ts` wraps: one function per method. */
export type Api = { [M in MethodName]: (params: Params<M>) => Promise<Result<M>> };

/** What crosses the wire for a call's outcome: a result, or an error in plain words. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: string };

export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** Events the main side pushes to the renderer, by name. */
export interface Events {
  'run.event': RunEvent;
  'job.progress': JobProgress;
  'chat.event': ChatEvent;
}

export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['run.event', 'job.progress', 'chat.event'];
