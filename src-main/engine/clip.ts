/**
 * Gradient clipping by global L2 norm, like `torch.nn.utils.clip_grad_norm_`.
 *
 *   total = || [ ||g_1||, ||g_2||, ... ] ||         (float32, as torch stacks per-tensor norms)
 *   coef  = max_norm / (total + 1e-6)               (float32 scalar maths, as torch does it)
 *   g_i  *= coef   only where coef < 1              (torch multiplies by min(coef, 1); x*1 == x)
 *
 * The gradients are replaced in the map (the old tensors are disposed), which mirrors torch's
 * in-place `mul_`. Returns the pre-clip norm. One device sync, for the norm.
 */
import * as tf from '@tensorflow/tfjs-core';

const f32 = Math.fround;

/** The global L2 norm of all gradients, as float32 (one sync). */
export function globalNorm(grads: tf.Tensor[]): number {
  if (grads.length === 0) return 0;
  const total = tf.tidy(() => {
    const norms = grads.map((g) => tf.sqrt(tf.sum(tf.square(g)))); // one scalar per tensor
    return tf.sqrt(tf.sum(tf.square(tf.stack(norms))));
  });
  const value = total.dataSync()[0];
  total.dispose();
  return value;
}

/** The float32 coefficient torch computes: `reciprocal(total + 1e-6) * max_norm`, clamped to 1. */
export function clipCoefficient(totalNorm: number, maxNorm: number): number {
  const denom = f32(f32(totalNorm) + f32(1e-6));
  const coef = f32(f32(1 / denom) * f32(maxNorm));
  return Math.min(coef, 1);
}

/**
 * Clips `grads` in place (entries are replaced by scaled tensors, the old ones disposed) and
 * returns the norm before clipping. A `maxNorm` of null or Infinity only measures the norm.
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number | null): number {
  const names = Object.keys(grads);
  const norm = globalNorm(names.map((n) => grads[n]));
  if (maxNorm == null || !Number.isFinite(maxNorm)) return norm;
  if (!(maxNorm > 0)) throw new Error(`clip: max norm must be positive, got ${maxNorm}`);
  const coef = clipCoefficient(norm, maxNorm);
  // NaN norms give a NaN coef; torch would then scale every gradient to NaN. Do the same.
  if (coef < 1 || Number.isNaN(coef)) {
    const c = tf.scalar(coef);
    for (const n of names) {
      const old = grads[n];
      grads[n] = tf.mul(old, c);
      old.dispose();
    }
    c.dispose();
  }
  return norm;
}
