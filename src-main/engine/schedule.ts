/**
 * Learning-rate schedules, as a pure function of the optimizer step.
 *
 * `step` counts optimizer steps already taken (0 for the first update), which is what Hugging
 * Face's LambdaLR sees: the LR used by update k (1-based) is `lrAt(k - 1)`.
 *
 * - `constant`: `lr`, after an optional linear warmup (HF `get_constant_schedule_with_warmup`;
 *   with `warmup = 0` it is plain constant).
 * - `cosine`: HF `get_cosine_schedule_with_warmup` (one half-cycle), with an optional floor as in
 *   HF `get_cosine_with_min_lr_schedule_with_warmup`:
 *     step <  warmup: lr * step / max(1, warmup)
 *     step >= warmup: p = (step - warmup) / max(1, totalSteps - warmup)
 *                     f = 0.5 * (1 + cos(pi * p))
 *                     lr * max(0, f * (1 - minLr / lr) + minLr / lr)  = minLr + (lr - minLr) * f
 *   so it reaches `minLr` (default 0) at `step = totalSteps`. Like HF, a warmup makes the first
 *   update use LR 0. Past `totalSteps` the cosine rises again, as HF's does; callers stop there.
 */

export const SCHEDULES = ['constant', 'cosine'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];

export interface ScheduleSpec {
  kind: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup length, in optimizer steps. */
  warmup: number;
  /** Steps at which the cosine reaches `minLr` (ignored by `constant`). */
  totalSteps: number;
  /** Cosine floor (default 0). */
  minLr?: number;
}

/** The multiplier HF's LambdaLR applies to the base LR at `step`. */
function lrLambda(spec: ScheduleSpec, step: number): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`schedule: step must be a non-negative integer, got ${step}`);
  if (step < spec.warmup) return step / Math.max(1, spec.warmup);
  if (spec.kind === 'constant') return 1;
  const progress = (step - spec.warmup) / Math.max(1, spec.totalSteps - spec.warmup);
  const f = 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress));
  const minRate = spec.lr > 0 ? (spec.minLr ?? 0) / spec.lr : 0;
  return Math.max(0, f * (1 - minRate) + minRate);
}

/** The learning rate for the update that follows `step` completed updates. */
export function lrAt(spec: ScheduleSpec, step: number): number {
  return spec.lr * lrLambda(spec, step);
}
