/**
 * One HFT training step: forward + backward over the stage's trainable tensors only, gradient
 * accumulation, clipping, LR schedule and AdamW. Used by the CLI and the trainer process.
 *
 * The saving is real: the trainable tensors become tf.Variables and are the only `varList` of
 * `tf.variableGrads`, so tfjs prunes every backward node that does not lead to one of them (no
 * dW for a frozen matrix, no backward below the lowest trainable layer), and the optimizer holds
 * m and v for them alone. Frozen tensors are never written, so they stay bit-identical.
 *
 * Accumulation: a step over micro-batches b_1..b_k with n_i target tokens minimises
 *   sum_i (n_i / N) * loss_i,  N = sum_i n_i
 * (each loss_i is b_i's token-weighted mean), which is exactly the token-weighted mean over
 * all k micro-batches as one batch. Targets are counted like the loss does: labels[:, 1:] != -100.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../formats/hf-config.js';
import { clipByGlobalNorm } from './clip.js';
import { elementMask, type Mask } from './masks.js';
import { IGNORE_INDEX, lossAndTokens, type Params } from './model.js';
import { AdamW, type AdamWSlotState } from './optimizer.js';
import { paramSpecs } from './param-specs.js';
import { lrAt, type ScheduleSpec } from './schedule.js';

export interface TrainHyper {
  lr: number;
  schedule: 'constant' | 'cosine';
  /** Linear warmup, in optimizer steps. */
  warmup: number;
  /** Optimizer steps in the stage: where the cosine reaches 0. */
  totalSteps: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  /** Max global gradient L2 norm; null = no clipping. */
  clipNorm: number | null;
  /**
   * Micro-batches per optimizer step: the trainer (train-stage) hands `step` this many; `step`
   * itself accumulates over whatever it is given.
   */
  accumSteps: number;
}

/** Ragged rows; `step` right-pads them with token 0 and label -100. */
export interface Batch {
  inputIds: number[][];
  labels: number[][];
}

export interface StepResult {
  /** Token-weighted mean loss over all micro-batches, before the update. */
  loss: number;
  /** The LR this update used. */
  lr: number;
  /** Global gradient L2 norm before clipping. */
  gradNorm: number;
  /** Target tokens in the step. */
  tokens: number;
}

/** Optimizer steps taken and the AdamW state of every trainable tensor. */
export interface TrainStepState {
  steps: number;
  optimizer: Record<string, AdamWSlotState>;
}

/** The input token right-padding fills with (its labels are -100, so it is never a target). */
const PAD_ID = 0;

let nextId = 0;

export class TrainStep {
  private readonly vars: Record<string, tf.Variable> = {};
  /** tfjs variable name → HF tensor name (variable names are engine-global, so ours are prefixed). */
  private readonly byVarName = new Map<string, string>();
  private readonly optimizer: AdamW;
  private readonly schedule: ScheduleSpec;
  private steps = 0;

  /**
   * Replaces `params[name]` by a tf.Variable for every `mask.trainable` name (the original
   * tensor's data moves into the variable and the tensor is disposed; an existing Variable is
   * reused). Frozen entries are left exactly as they are.
   */
  constructor(
    private readonly cfg: ModelConfig,
    private readonly params: Params,
    readonly mask: Mask,
    readonly hyper: TrainHyper,
  ) {
    if (mask.trainable.length === 0) throw new Error('train step: the mask has no trainable tensors');
    const id = nextId++;
    for (const name of mask.trainable) {
      const t = params[name];
      if (t == null) throw new Error(`train step: trainable tensor ${name} is not in the model`);
      if (t.dtype !== 'float32') throw new Error(`train step: ${name} must be float32, got ${t.dtype}`);
      let v: tf.Variable;
      if (t instanceof tf.Variable) {
        v = t;
        v.trainable = true;
      } else {
        v = tf.variable(t, true, `hft${id}/${name}`);
        t.dispose(); // the variable holds its own reference to the data
        params[name] = v;
      }
      this.vars[name] = v;
      this.byVarName.set(v.name, name);
    }
    const masks: Record<string, Uint8Array> = {};
    if (mask.strategy === 'parameter') {
      const specs = new Map(paramSpecs(cfg).map((s) => [s.name, s]));
      for (const name of mask.trainable) {
        const spec = specs.get(name);
        if (spec == null) throw new Error(`train step: no parameter spec for ${name}`);
        const m = elementMask(spec, mask);
        if (m.some((x) => x === 0)) masks[name] = m; // an all-ones mask changes nothing
      }
    }
    this.optimizer = new AdamW(
      this.vars,
      { lr: hyper.lr, betas: hyper.betas, eps: hyper.eps, weightDecay: hyper.weightDecay },
      masks,
    );
    this.schedule = { kind: hyper.schedule, lr: hyper.lr, warmup: hyper.warmup, totalSteps: hyper.totalSteps };
  }

  /** Optimizer steps taken so far. */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One optimizer step over the given micro-batches (normally `hyper.accumSteps` of them).
   *
   * Asynchronous because it reads back from the device once, at the end: the per-micro-batch
   * losses and the gradient norm, in one batched `await data()` (webgpu in Node has no
   * synchronous readback; other backends just sync there). Everything before stays on the
   * device; target counts come from the batch's JS arrays. The optimizer update is queued before
   * that read, so the step is complete when the promise resolves.
   */
  async step(microBatches: Batch[]): Promise<StepResult> {
    if (microBatches.length === 0) throw new Error('train step: no micro-batches');
    const counts = microBatches.map(countTargets);
    const total = counts.reduce((a, b) => a + b, 0);
    const varList = Object.values(this.vars);
    const grads: Record<string, tf.Tensor> = {};
    const weighted: tf.Scalar[] = []; // w_i * loss_i, read at the end
    let gradNorm: tf.Scalar | null = null;
    let readback: tf.Tensor | null = null;
    try {
      for (let i = 0; i < microBatches.length; i++) {
        // Weight 1 for a single micro-batch, so the common case is the plain mean-loss gradient.
        const w = total === 0 ? 0 : counts[i] / total;
        const { ids, labels, b, t } = padBatch(microBatches[i]);
        const inputIds = tf.tensor2d(ids, [b, t], 'int32');
        let tokens = -1;
        let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
        try {
          result = tf.variableGrads(() => {
            const out = lossAndTokens(this.cfg, this.params, inputIds, labels); // labels stay on the host
            tokens = out.tokens;
            if (w === 1) return out.loss;
            return tf.tidy(() => tf.mul(out.loss, tf.scalar(w)));
          }, varList);
        } finally {
          inputIds.dispose();
        }
        weighted.push(result.value);
        accumulate(grads, result.grads, this.byVarName);
        if (tokens !== counts[i]) throw new Error(`train step: the loss counted ${tokens} targets, expected ${counts[i]}`);
      }
      // The parameter strategy's masked elements get no gradient, so they add nothing to the norm;
      // done once here, for clipping and AdamW alike (step does not mask again).
      this.optimizer.maskGradients(grads);
      gradNorm = clipByGlobalNorm(grads, this.hyper.clipNorm);
      const lr = lrAt(this.schedule, this.steps);
      this.optimizer.step(grads, lr);
      this.steps++;
      readback = tf.stack([...weighted, gradNorm]); // [k + 1]: the one device read of the step
      const values = await readback.data();
      // Summed in float64 on the host, in micro-batch order, as a sum of float32 values.
      let loss = 0;
      for (let i = 0; i < weighted.length; i++) loss += values[i];
      return { loss, lr, gradNorm: values[weighted.length], tokens: total };
    } finally {
      tf.dispose([...Object.values(grads), ...weighted]);
      if (gradNorm != null) gradNorm.dispose();
      if (readback != null) readback.dispose();
    }
  }

  /** Everything a checkpoint needs to continue this stage bit-identically (weights aside). */
  async exportState(): Promise<TrainStepState> {
    return { steps: this.steps, optimizer: await this.optimizer.exportState() };
  }

  /** Restores `exportState`'s output into a fresh TrainStep built with the same mask and hyper. */
  importState(state: TrainStepState): void {
    this.optimizer.importState(state.optimizer);
    this.steps = state.steps;
  }

  /** Bytes of optimizer state (m and v, float32, trainable tensors only). */
  optimizerStateBytes(): number {
    return this.optimizer.stateBytes();
  }

  /** Frees the optimizer state. The parameters (variables included) stay usable. */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Target tokens in a batch, as the loss counts them: labels[:, 1:] that are not -100. */
export function countTargets(batch: Batch): number {
  let n = 0;
  for (const row of batch.labels) for (let t = 1; t < row.length; t++) if (row[t] !== IGNORE_INDEX) n++;
  return n;
}

/** Right-pads ragged rows into row-major [B, T] host arrays (inputs with PAD_ID, labels with -100). */
export function padBatch(batch: Batch): { ids: Int32Array; labels: Int32Array; b: number; t: number } {
  const b = batch.inputIds.length;
  if (b === 0 || batch.labels.length !== b) {
    throw new Error(`train step: a batch needs rows, and as many label rows (${batch.labels.length}) as input rows (${b})`);
  }
  const t = Math.max(...batch.inputIds.map((r) => r.length));
  if (t === 0) throw new Error('train step: empty rows');
  const ids = new Int32Array(b * t).fill(PAD_ID);
  const labels = new Int32Array(b * t).fill(IGNORE_INDEX);
  for (let i = 0; i < b; i++) {
    const row = batch.inputIds[i];
    if (batch.labels[i].length !== row.length) {
      throw new Error(`train step: row ${i} has ${row.length} tokens but ${batch.labels[i].length} labels`);
    }
    ids.set(row, i * t);
    labels.set(batch.labels[i], i * t);
  }
  return { ids, labels, b, t };
}

/** padBatch as [B, T] int32 tensors. */
export function toTensors(batch: Batch): [tf.Tensor2D, tf.Tensor2D] {
  const { ids, labels, b, t } = padBatch(batch);
  return [tf.tensor2d(ids, [b, t], 'int32'), tf.tensor2d(labels, [b, t], 'int32')];
}

/** Adds one micro-batch's gradients (keyed by tfjs variable name) into the running sums, in place. */
function accumulate(acc: Record<string, tf.Tensor>, g: Record<string, tf.Tensor | null>, names: Map<string, string>): void {
  for (const [varName, grad] of Object.entries(g)) {
    if (grad == null) continue; // not connected to the loss: torch leaves .grad None and skips it
    const name = names.get(varName);
    if (name == null) {
      grad.dispose();
      throw new Error(`train step: gradient for unknown variable ${varName}`);
    }
    const prev = acc[name];
    if (prev == null) {
      acc[name] = grad;
    } else {
      acc[name] = tf.add(prev, grad);
      tf.dispose([prev, grad]);
    }
  }
}
