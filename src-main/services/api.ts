/**
 * The contract's methods (src-main/contract/methods.ts) implemented on the services: what the
 * Electron shell's IPC gate and `hft serve`'s WebSocket both dispatch to, after checking each
 * argument against its schema. Results are plain JSON: NaN becomes null.
 */
import { LAYER_KINDS, type EventName, type Events, type MethodName, type MetricPoint, type ModelInfo, type Params, type Result, type RunDetail, type RunSummary, type StageView } from '../contract/index.js';
import { drawMask } from '../engine/masks.js';
import { numel, paramSpecs } from '../engine/param-specs.js';
import { readHfConfig } from '../formats/hf-config.js';
import { sourceDtypes } from '../formats/model-folder.js';
import { loadTokenizer } from '../formats/tokenizer/index.js';
import type { RunRecord, Store } from '../store/index.js';
import { appVersion, sampleModelDir } from './app-files.js';
import { ChatSessions } from './chat-sessions.js';
import { importDatasetFile, previewDatasetFile } from './dataset-files.js';
import { estimateTraining } from './estimate.js';
import { LiveRuns } from './live-runs.js';
import { evaluateMergesForApp, exportForApp } from './outputs.js';
import { probeBackends } from './probe.js';
import { deleteRun, requireRun, RunError, runForgetting, storedPlan } from './runs.js';
import { startWorker, type WorkerLauncher } from './trainer-host.js';

export type Handlers = { [M in MethodName]: (params: Params<M>) => Promise<Result<M>> };

export interface ApiContext {
  store: Store;
  /** The app's data folder. */
  home: string;
  /** Pushes an event to the renderer (IPC or WebSocket); live runs report through it. */
  emit?: <E extends EventName>(event: E, data: Events[E]) => void;
  /** The live runs' supervisor, when the caller stops them at shutdown (LiveRuns.stopAll); else one is made. */
  live?: LiveRuns;
  /** The playground's model processes, when the caller ends them at shutdown (ChatSessions.stopAll); else made here. */
  chats?: ChatSessions;
  /** How worker processes start (probe, merges, chat): fork by default; utilityProcess in Electron. */
  launcher?: WorkerLauncher;
  /** A native folder dialog (Electron); without one, `app.pickFolder` says to type the path. */
  pickFolder?: (title: string) => Promise<string | null>;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

function summary(store: Store, r: RunRecord): RunSummary {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    strategy: r.strategy,
    ratio: r.ratio,
    modelPath: r.modelPath,
    totalSteps: r.totalSteps,
    doneSteps: store.metrics.lastStep(r.id),
    op: r.op,
    bwt: r.bwt,
    backend: r.backend,
    error: r.error,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  };
}

function detail(store: Store, runId: string): RunDetail {
  const run = requireRun(store, runId);
  const stages: StageView[] = store.stages.list(runId).map((s) => ({
    index: s.idx,
    taskName: s.taskName,
    steps: s.steps,
    status: s.status,
    trainable: s.maskJson == null ? null : (JSON.parse(s.maskJson) as { trainable: string[] }).trainable,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
  }));
  return { run: summary(store, run), tasks: storedPlan(run).job.tasks.map((t) => t.name), stages, forgetting: runForgetting(store, runId) };
}

function inspectModel(path: string): ModelInfo {
  const cfg = readHfConfig(path);
  const tokenizer = loadTokenizer(path);
  return {
    path,
    architecture: cfg.modelType,
    layers: cfg.numLayers,
    hiddenSize: cfg.hiddenSize,
    heads: cfg.numHeads,
    kvHeads: cfg.numKvHeads,
    vocabSize: cfg.vocabSize,
    maxLength: cfg.maxSequenceLength,
    params: paramSpecs(cfg).reduce((n, s) => n + numel(s.shape), 0),
    dtype: sourceDtypes(path).dtype,
    hasChatTemplate: tokenizer.hasChatTemplate,
  };
}

export function apiHandlers(ctx: ApiContext): Handlers {
  const { store } = ctx;
  const launcher = ctx.launcher ?? startWorker;
  const live = ctx.live ?? new LiveRuns(store, ctx.home, (e) => ctx.emit?.('run.event', e), launcher);
  const chats = ctx.chats ?? new ChatSessions(store, (e) => ctx.emit?.('chat.event', e), launcher);
  const progress = (p: Events['job.progress']): void => ctx.emit?.('job.progress', p);
  return {
    'app.info': async () => ({ version: appVersion(), home: ctx.home, sampleModel: sampleModelDir() }),
    'runs.list': async () => store.runs.list().map((r) => summary(store, r)),
    'runs.get': async ({ runId }) => detail(store, runId),
    'runs.metrics': async ({ runId, afterStep }) => {
      requireRun(store, runId);
      return store.metrics.list(runId, { afterStep }).map(
        (m): MetricPoint => ({ step: m.step, stage: m.stage, loss: finite(m.loss), lr: finite(m.lr), tokensPerS: finite(m.tokensPerS), memoryBytes: m.memoryBytes }),
      );
    },
    'runs.delete': async ({ runId }) => ({ deleted: deleteRun(store, runId) }),
    'runs.start': async ({ planJson, baseDir }) => ({ runId: live.start(planJson, baseDir) }),
    'runs.pause': async ({ runId }) => (live.pause(runId), {}),
    'runs.resume': async ({ runId }) => (live.resume(runId), {}),
    'runs.stop': async ({ runId }) => (live.stop(runId), {}),
    'models.inspect': async ({ path }) => inspectModel(path),
    'app.pickFolder': async ({ title }) => {
      if (ctx.pickFolder === undefined) throw new RunError("this browser page cannot open a folder picker: type the folder's full path instead");
      return { path: await ctx.pickFolder(title) };
    },
    'app.probe': async () => probeBackends(launcher),
    'datasets.preview': async (req) => previewDatasetFile(req),
    'datasets.import': async (req) => importDatasetFile(store, ctx.home, req),
    // For the backend training will use (the probe's answer, cached); 'auto', the upper bound, if the probe failed.
    'runs.estimate': async (req) => estimateTraining(req, await probeBackends(launcher).then((p) => p.backend, () => 'auto')),
    'merges.evaluate': async (req) => evaluateMergesForApp(store, req, progress, launcher),
    'exports.create': async (req) => exportForApp(store, ctx.home, req, progress),
    'chat.ask': async (req) => ({ chatId: chats.ask(req) }),
    'chat.stop': async ({ chatId }) => (chats.stop(chatId), {}),
    'masks.draw': async ({ modelPath, ...spec }) => {
      const specs = paramSpecs(readHfConfig(modelPath));
      const mask = drawMask(specs, spec);
      const trained = new Set(mask.trainable);
      const cfgLayers = Math.max(...specs.map((s) => s.layer ?? -1)) + 1;
      const grid = Array.from({ length: cfgLayers }, (_, layer) =>
        LAYER_KINDS.map((kind) => specs.some((s) => s.layer === layer && s.kind === kind && trained.has(s.name))),
      );
      return {
        strategy: mask.strategy,
        ratio: mask.ratio,
        seed: mask.seed,
        stage: mask.stage,
        grid,
        embeddingsTrained: trained.has('model.embed_tokens.weight'),
        trainableParams: mask.trainableParams,
        totalParams: mask.totalParams,
      };
    },
  };
}
