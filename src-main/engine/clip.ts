/**
 * Gradient clipping by global L2 norm, like torch 1.13's `torch.nn.utils.clip_grad_norm_`.
 *
 *   total = || [ ||g_1||, ||g_2||, ... ] ||         (float32, as torch stacks per-tensor norms)
 *   coef  = min(max_norm * (1 / (total + 1e-6)), 1) (float32 tensor maths, as torch does it)
 *   g_i  *= coef                                     (always, as torch does: x * 1 == x exactly)
 *
 * Everything stays on the device: the norm is a scalar tensor and the coefficient is applied
 * without reading it back, so no backend has to sync here (webgpu in Node cannot read
 * synchronously at all). The caller reads the norm, if it wants it, with its other end-of-step
 * values. The gradients are replaced in the map (the old tensors are disposed), which mirrors
 * torch's in-place `mul_`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The global L2 norm of all gradients, as a float32 scalar tensor (0 for no gradients). */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  if (grads.length === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const norms = grads.map((g) => tf.sqrt(tf.sum(tf.square(g)))); // one scalar per tensor
    return tf.sqrt(tf.sum(tf.square(tf.stack(norms)))) as tf.Scalar;
  });
}

/**
 * Clips `grads` in place (every entry is replaced by a scaled tensor and the old one disposed)
 * and returns the norm before clipping, as a scalar tensor the caller disposes. A `maxNorm` of
 * null or Infinity only measures the norm and leaves the gradients alone.
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number | null): tf.Scalar {
  if (maxNorm != null && Number.isFinite(maxNorm) && !(maxNorm > 0)) {
    throw new Error(`clip: max norm must be positive, got ${maxNorm}`);
  }
  const names = Object.keys(grads);
  const norm = globalNorm(names.map((n) => grads[n]));
  if (maxNorm == null || !Number.isFinite(maxNorm) || names.length === 0) return norm;
  // A NaN norm gives a NaN coef (minimum propagates NaN, like torch.clamp), so every gradient
  // becomes NaN, as in torch.
  const coef = tf.tidy(() => tf.minimum(tf.mul(tf.reciprocal(tf.add(norm, tf.scalar(1e-6))), tf.scalar(maxNorm)), tf.scalar(1)));
  for (const n of names) {
    const old = grads[n];
    grads[n] = tf.mul(old, coef);
    old.dispose();
  }
  coef.dispose();
  return norm;
}
