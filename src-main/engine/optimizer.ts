/**
 * AdamW with PyTorch semantics (torch.optim.AdamW, amsgrad=False, the single-tensor path).
 *
 * Per variable p with gradient g, in this order and in float32, as torch 1.13 does it:
 *   step += 1
 *   p  = p * (1 - lr*wd)                          decoupled weight decay (param.mul_)
 *   m  = m*b1 + g*(1 - b1)                        exp_avg.mul_(b1).add_(g, alpha=1-b1)
 *   v  = v*b2 + ((1 - b2)*g)*g                    exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2)
 *   denom = sqrt(v) / sqrt(1 - b2^step) + eps
 *   p  = p + ((-lr / (1 - b1^step)) * m) / denom  param.addcdiv_(m, denom, value=-step_size)
 * Scalars (1 - lr*wd, step size, sqrt of the bias correction) are computed in float64, as Python
 * does, and rounded to float32 where they meet the tensors, as torch does.
 *
 * State (m, v: two float32 tensors per variable) exists only for the variables given: frozen
 * tensors are never handed here, which is half of HFT's memory saving.
 *
 * Element masks (the `parameter` strategy): `maskGradients` zeroes the gradient where the mask is
 * 0, once per step, before clipping and before `step` (TrainStep calls both in that order), so the
 * norm and the moments see only trainable elements. `step` itself takes the new value only where
 * the mask is 1 (`p = where(mask, pNew, pOld)`), so frozen elements stay bit-identical even with
 * weight decay, whatever gradient they were given.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  /** Default LR when `step` is called without one. */
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** 1 = the element trains, 0 = it stays as it is. A Uint8Array, or a tensor of any dtype. */
export type ElementMask = Uint8Array | tf.Tensor;

/** One variable's saved optimizer state (see `exportState`). */
export interface AdamWSlotState {
  m: Float32Array;
  v: Float32Array;
  step: number;
}

interface Slot {
  variable: tf.Variable;
  m: tf.Variable; // exp_avg, same shape as the variable
  v: tf.Variable; // exp_avg_sq
  mask: tf.Tensor | null; // bool, same shape
  step: number; // per variable, like torch's state['step']
}

let nextId = 0;

export class AdamW {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  lr: number;
  private readonly slots = new Map<string, Slot>();
  private disposed = false;

  /**
   * @param variables the tensors to train, by name (the keys gradients are given under)
   * @param masks optional element masks for some of them
   */
  constructor(variables: Record<string, tf.Variable>, opts: AdamWOptions = {}, masks: Record<string, ElementMask> = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    const [b1, b2] = this.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`AdamW: betas must be in [0, 1), got ${this.betas}`);
    if (!(this.eps >= 0)) throw new Error(`AdamW: eps must be >= 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new Error(`AdamW: weight decay must be >= 0, got ${this.weightDecay}`);
    for (const name of Object.keys(masks)) {
      if (!(name in variables)) throw new Error(`AdamW: mask given for unknown variable ${name}`);
    }
    const id = nextId++;
    for (const [name, variable] of Object.entries(variables)) {
      if (variable.dtype !== 'float32') throw new Error(`AdamW: ${name} must be float32, got ${variable.dtype}`);
      const mask = masks[name] == null ? null : toBoolMask(masks[name], variable.shape, name);
      // Optimizer state lives in variables that are not trainable: no gradient is ever taken of them.
      const m = zerosVariable(variable.shape, `adamw${id}/m/${name}`);
      const v = zerosVariable(variable.shape, `adamw${id}/v/${name}`);
      this.slots.set(name, { variable, m, v, mask, step: 0 });
    }
  }

  /**
   * One update of every variable that has a gradient in `grads` (others are skipped, like torch
   * skips params whose grad is None). `grads` are read, not disposed. For masked variables they
   * are expected to have been through `maskGradients` already: they are not masked again here.
   */
  step(grads: Record<string, tf.Tensor>, lr: number = this.lr): void {
    if (this.disposed) throw new Error('AdamW: used after dispose()');
    for (const name of Object.keys(grads)) {
      if (!this.slots.has(name)) throw new Error(`AdamW: gradient given for unknown variable ${name}`);
    }
    const [beta1, beta2] = this.betas;
    for (const [name, s] of this.slots) {
      const g = grads[name];
      if (g == null) continue;
      if (!tf.util.arraysEqual(g.shape, s.variable.shape)) {
        throw new Error(`AdamW: gradient for ${name} has shape [${g.shape}], variable has [${s.variable.shape}]`);
      }
      s.step += 1;
      const biasCorrection1 = 1 - beta1 ** s.step;
      const biasCorrection2 = 1 - beta2 ** s.step;
      const stepSize = lr / biasCorrection1;
      const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
      tf.tidy(() => {
        const pOld = s.variable;
        // torch multiplies by 1 when wd = 0, which is exact, so skipping it changes nothing.
        const decay = lr * this.weightDecay;
        const p = decay !== 0 ? tf.mul(pOld, tf.scalar(1 - decay)) : pOld;
        const m = tf.add(tf.mul(s.m, tf.scalar(beta1)), tf.mul(g, tf.scalar(1 - beta1)));
        const v = tf.add(tf.mul(s.v, tf.scalar(beta2)), tf.mul(tf.mul(tf.scalar(1 - beta2), g), g));
        const denom = tf.add(tf.div(tf.sqrt(v), tf.scalar(biasCorrection2Sqrt)), tf.scalar(this.eps));
        const pNew = tf.add(p, tf.div(tf.mul(tf.scalar(-stepSize), m), denom));
        s.m.assign(m);
        s.v.assign(v);
        s.variable.assign(s.mask ? tf.where(s.mask, pNew, pOld) : pNew);
      });
    }
  }

  /**
   * Zeroes the gradients of masked-out elements, in place (masked entries are replaced and the
   * old tensors disposed), so that clipping and `step` see the gradients the update will use.
   */
  maskGradients(grads: Record<string, tf.Tensor>): void {
    for (const [name, s] of this.slots) {
      const g = grads[name];
      if (s.mask == null || g == null) continue;
      grads[name] = tf.tidy(() => tf.where(s.mask as tf.Tensor, g, tf.zerosLike(g)));
      g.dispose();
    }
  }

  /** Optimizer steps taken by `name` (or by the first variable). */
  stepCount(name?: string): number {
    const s = name == null ? this.slots.values().next().value : this.slots.get(name);
    return s?.step ?? 0;
  }

  /**
   * The state a checkpoint needs to continue bit-identically: m, v and the step count of every
   * variable, read back from the device one tensor at a time.
   */
  async exportState(): Promise<Record<string, AdamWSlotState>> {
    const out: Record<string, AdamWSlotState> = {};
    for (const [name, s] of this.slots) {
      out[name] = { m: (await s.m.data()) as Float32Array, v: (await s.v.data()) as Float32Array, step: s.step };
    }
    return out;
  }

  /** Restores `exportState`'s output; every variable must be present, with its exact size. */
  importState(state: Record<string, AdamWSlotState>): void {
    for (const name of Object.keys(state)) {
      if (!this.slots.has(name)) throw new Error(`AdamW: saved state for ${name}, which this stage does not train`);
    }
    for (const [name, s] of this.slots) {
      const saved = state[name];
      if (saved == null) throw new Error(`AdamW: the saved state has nothing for ${name}`);
      if (saved.m.length !== s.m.size || saved.v.length !== s.v.size) {
        throw new Error(`AdamW: saved state for ${name} has ${saved.m.length} values, the tensor has ${s.m.size}`);
      }
      tf.tidy(() => {
        s.m.assign(tf.tensor(saved.m, s.m.shape, 'float32'));
        s.v.assign(tf.tensor(saved.v, s.v.shape, 'float32'));
      });
      s.step = saved.step;
    }
  }

  /** Bytes held as optimizer state: m and v, float32, for the given variables only. */
  stateBytes(): number {
    let bytes = 0;
    for (const s of this.slots.values()) bytes += 2 * 4 * s.variable.size;
    return bytes;
  }

  /** Bytes held by element masks (one byte per element of a masked variable). */
  maskBytes(): number {
    let bytes = 0;
    for (const s of this.slots.values()) if (s.mask) bytes += s.mask.size;
    return bytes;
  }

  /** Frees m, v and the masks. The variables themselves are left alone. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
      s.mask?.dispose();
    }
    this.slots.clear();
  }
}

function zerosVariable(shape: number[], name: string): tf.Variable {
  const zeros = tf.zeros(shape);
  const v = tf.variable(zeros, false, name);
  zeros.dispose(); // the variable holds its own reference to the data
  return v;
}

function toBoolMask(mask: ElementMask, shape: number[], name: string): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (mask instanceof Uint8Array) {
    if (mask.length !== size) throw new Error(`AdamW: mask for ${name} has ${mask.length} elements, tensor has ${size}`);
    return tf.tensor(Uint8Array.from(mask, (x) => (x ? 1 : 0)), shape, 'bool');
  }
  if (mask.size !== size) throw new Error(`AdamW: mask for ${name} has ${mask.size} elements, tensor has ${size}`);
  return tf.tidy(() => tf.reshape(mask.dtype === 'bool' ? tf.clone(mask) : tf.notEqual(mask, 0), shape));
}
