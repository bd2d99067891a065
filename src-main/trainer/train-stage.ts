/**
 * One training stage: a fixed mask, a number of optimizer steps over tokenized rows.
 *
 * Used by `hft train` now and by the multi-stage loop later. Each optimizer step takes
 * `batchSize * hyper.accumSteps` rows, as `hyper.accumSteps` micro-batches of `batchSize`. Reports
 * every step through a callback (loss, learning rate, gradient norm, target tokens and wall time in
 * ms, from which the caller can derive tokens/s) and returns the per-step losses and wall times.
 */
import type { ModelConfig } from '../formats/hf-config.js';
import type { TokenizedRow } from '../formats/datasets/tokenized.js';
import type { Mask } from '../engine/masks.js';
import type { Params } from '../engine/model.js';
import { TrainStep, type TrainHyper } from '../engine/train-step.js';
import { DataOrder, stepBatches } from './data-order.js';

export interface StageOptions {
  steps: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  hyper: TrainHyper;
}

export interface StepReport {
  step: number; // 1-based
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  ms: number;
}

export interface StageResult {
  losses: number[];
  stepMs: number[];
  optimizerStateBytes: number;
}

/** Runs the stage; asynchronous because each step reads its loss back from the device (TrainStep.step). */
export async function trainStage(
  cfg: ModelConfig,
  params: Params,
  mask: Mask,
  rows: TokenizedRow[],
  opts: StageOptions,
  onStep: (r: StepReport) => void = () => {},
): Promise<StageResult> {
  const order = new DataOrder(rows.length, opts.shuffle, opts.seed);
  const trainer = new TrainStep(cfg, params, mask, opts.hyper);
  const losses: number[] = [];
  const stepMs: number[] = [];
  try {
    for (let step = 0; step < opts.steps; step++) {
      const micro = stepBatches(order, rows, step, opts.batchSize, opts.hyper.accumSteps);
      const t0 = performance.now();
      const r = await trainer.step(micro);
      const ms = performance.now() - t0;
      losses.push(r.loss);
      stepMs.push(ms);
      onStep({ step: step + 1, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokens: r.tokens, ms });
    }
    return { losses, stepMs, optimizerStateBytes: trainer.optimizerStateBytes() };
  } finally {
    trainer.dispose();
  }
}
