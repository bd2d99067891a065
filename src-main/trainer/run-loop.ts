/**
 * The stage loop of a run, inside the trainer process: for each task in order, draw the stage's
 * mask from (seed, stage), train it, write a stage-end checkpoint, then evaluate every task seen
 * so far plus the prior-knowledge probe. That evaluation is row k of the forgetting matrix. Before
 * the first stage the base model is evaluated on every task and the probe: the 'before' row.
 *
 * Continuing after a crash: main hands over the recorded checkpoints, newest first; the first one
 * whose files match their checksums is used (a corrupt one is reported and skipped). Mid-stage it
 * restores the weights and the optimizer state and continues at the next step; at a stage end it
 * redoes that stage's evaluation. The data order is a function of (seed, stage, step) and the mask
 * of (seed, stage), so the continued run computes exactly what the uninterrupted one would have.
 *
 * Knows nothing of processes: it reports through `send` and is steered through `control`
 * (trainer/main.ts wires both to the fork channel).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend.js';
import { loadModel, paramsFromArrays, weightReaders } from '../engine/load.js';
import { drawMask, type Mask } from '../engine/masks.js';
import type { Params } from '../engine/model.js';
import { paramSpecs } from '../engine/param-specs.js';
import { TrainStep, type TrainStepState } from '../engine/train-step.js';
import type { EncodedRow } from '../formats/datasets/index.js';
import { readHfConfig, type ModelConfig } from '../formats/hf-config.js';
import { loadTokenizer } from '../formats/tokenizer/index.js';
import type { Tokenizer } from '../formats/tokenizer/types.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoints.js';
import { DataOrder, stepBatches } from './data-order.js';
import { evaluateSet } from './evaluate.js';
import { BASE_STAGE, type CheckpointRef, type FromTrainer, type TrainerJob } from './protocol.js';
import { evalSets, loadJobData, type TaskData } from './task-data.js';

export interface TrainerControl {
  /** What main asked for since the last step: checked between optimizer steps. */
  readonly request: 'none' | 'pause' | 'stop';
  /** After a pause: resolves with what main says next. */
  waitWhilePaused(): Promise<'resume' | 'stop'>;
}

type Send = (m: FromTrainer) => void;

/** Runs (or continues) the job. Resolves after `done` or `stopped` was sent; throws on failure. */
export async function runJob(job: TrainerJob, resumeFrom: CheckpointRef[], send: Send, control: TrainerControl): Promise<void> {
  const backend = await initBackend(job.backend === 'auto' ? undefined : job.backend);
  const cfg = readHfConfig(job.modelDir);
  const tokenizer = loadTokenizer(job.modelDir);
  const data = loadJobData(job, cfg, tokenizer);

  const ck = firstReadable(resumeFrom, send);
  const params = ck == null ? loadModel(job.modelDir).params : paramsFromArrays(cfg, ck.weights);
  if (ck != null) ck.weights.clear(); // the tensors own copies now
  send({ type: 'ready', backend: backend.backend, device: backend.device, reason: backend.reason, resumedFrom: ck?.path ?? null, startStep: ck?.step ?? 0 });

  const run = new StageRunner(job, cfg, params, tokenizer, data, send, control);
  try {
    if (ck == null) await run.evaluate(BASE_STAGE);
    for (let k = ck?.stage ?? 0; k < job.tasks.length; k++) {
      const here = ck != null && ck.stage === k ? ck : null;
      if (!here?.stageEnd) {
        const finished = await run.train(k, here?.stageStep ?? 0, here?.train ?? null);
        if (!finished) return;
      }
      if (control.request === 'stop') {
        send({ type: 'stopped', step: run.stepsBefore(k + 1) });
        return;
      }
      await run.evaluate(k);
    }
    send({ type: 'done' });
  } finally {
    tf.dispose(Object.values(params));
  }
}

/** The newest checkpoint that reads back intact; each one skipped is reported as a warning. */
function firstReadable(refs: CheckpointRef[], send: Send): Checkpoint | null {
  for (const ref of refs) {
    try {
      return readCheckpoint(ref.path, ref.manifestSha256);
    } catch (e) {
      send({ type: 'warning', message: `skipped a damaged checkpoint: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  return null;
}

class StageRunner {
  constructor(
    private readonly job: TrainerJob,
    private readonly cfg: ModelConfig,
    private readonly params: Params,
    private readonly tokenizer: Tokenizer,
    private readonly data: { tasks: TaskData[]; probe: EncodedRow[] | null },
    private readonly send: Send,
    private readonly control: TrainerControl,
  ) {}

  /** Global optimizer steps of all stages before `stage`. */
  stepsBefore(stage: number): number {
    return this.job.tasks.slice(0, stage).reduce((n, t) => n + t.steps, 0);
  }

  mask(stage: number): Mask {
    const f = this.job.freeze;
    const draw = f.redrawEachStage ? stage : 0;
    return drawMask(paramSpecs(this.cfg), { strategy: f.strategy, ratio: f.ratio, seed: f.seed, stage: draw, freezeEmbeddings: f.freezeEmbeddings });
  }

  /** Trains stage k from `startStep`; false when it stopped on request (after a checkpoint). */
  async train(k: number, startStep: number, state: TrainStepState | null): Promise<boolean> {
    const { training } = this.job;
    const task = this.job.tasks[k];
    const rows = this.data.tasks[k].train;
    const mask = this.mask(k);
    const offset = this.stepsBefore(k);
    this.send({ type: 'stage-start', stage: k, taskName: task.name, steps: task.steps, startStep, trainRows: rows.length, evalRows: this.data.tasks[k].eval.length, mask });
    const ts = new TrainStep(this.cfg, this.params, mask, {
      lr: training.lr,
      schedule: training.schedule,
      warmup: training.warmup,
      totalSteps: task.steps,
      weightDecay: training.weightDecay,
      betas: [0.9, 0.999],
      eps: 1e-8,
      clipNorm: training.clipNorm,
      accumSteps: training.gradAccum,
    });
    try {
      if (state != null) ts.importState(state);
      // Each stage shuffles its own task from its own stream: (seed, stage) → permutation per epoch.
      const order = new DataOrder(rows.length, training.shuffle, training.seed * 1000 + k);
      for (let s = startStep; s < task.steps; s++) {
        const micro = stepBatches(order, rows, s, training.batchSize, training.gradAccum);
        const t0 = performance.now();
        const r = await ts.step(micro);
        const ms = performance.now() - t0;
        const step = offset + s + 1;
        this.send({ type: 'step', stage: k, step, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokens: r.tokens, ms, memoryBytes: tf.memory().numBytes });
        if (s + 1 === task.steps) break; // the stage-end checkpoint follows
        // Let main's messages in: reading the loss back settles as a microtask on the CPU
        // backends, so without a macrotask turn a pause or stop would wait for the whole run.
        await new Promise((resolve) => setImmediate(resolve));
        let request = this.control.request;
        const periodic = training.checkpointEvery > 0 && (s + 1) % training.checkpointEvery === 0;
        if (periodic || request !== 'none') await this.checkpoint(k, step, s + 1, false, ts);
        if (request === 'pause') {
          this.send({ type: 'paused', step });
          if ((await this.control.waitWhilePaused()) === 'stop') request = 'stop';
          else this.send({ type: 'resumed', step });
        }
        if (request === 'stop') {
          this.send({ type: 'stopped', step });
          return false;
        }
      }
    } finally {
      ts.dispose();
    }
    await this.checkpoint(k, offset + task.steps, task.steps, true, null);
    return true;
  }

  async checkpoint(stage: number, step: number, stageStep: number, stageEnd: boolean, ts: TrainStep | null): Promise<void> {
    this.send({ type: 'checkpointing', stage, step });
    const train = ts == null ? null : await ts.exportState();
    const readers = await weightReaders(this.cfg, this.params);
    const { path, manifestSha256 } = writeCheckpoint(this.job.runDir, this.job.runId, { stage, step, stageStep, stageEnd }, readers, train);
    this.send({ type: 'checkpoint', stage, step, stageEnd, path, manifestSha256 });
  }

  /** Row k of the forgetting matrix: every task seen so far (all of them for the base model), then the probe. */
  async evaluate(k: number): Promise<void> {
    const sets = evalSets(this.job, this.data, k);
    this.send({ type: 'evaluating', afterStage: k, sets: sets.length });
    const opts = { maxNewTokens: this.job.evaluation.maxNewTokens, batchSize: this.job.training.batchSize };
    for (const set of sets) {
      const r = await evaluateSet(this.cfg, this.params, this.tokenizer, set.rows, opts);
      this.send({ type: 'eval', afterStage: k, task: set.task, name: set.name, ...r });
    }
  }
}
