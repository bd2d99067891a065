/**
 * The contract's methods: for each, the schema its argument must pass (checked by the IPC gate and
 * the WebSocket server before any handler runs) and the type of its result. The renderer calls
 * them through `api.ts`; the preload exposes exactly these names.
 */
import { bool, num, obj, oneOf, opt, str, type Infer, type Schema } from './schema.js';
import type { AppInfo, MaskView, MetricPoint, ModelInfo, RunDetail, RunEvent, RunSummary } from './types.js';

const runId = str({ min: 1, max: 200 });
const path = str({ min: 1, max: 4096 });

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
  'masks.draw': {
    params: obj({
      modelPath: path,
      strategy: oneOf(['category', 'matrix', 'layer', 'parameter', 'full'] as const),
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
}

export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['run.event'];
