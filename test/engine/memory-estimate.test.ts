/**
 * engine/memory-estimate.ts against measured training steps. Small random models run one real
 * TrainStep.step (forward, backward, clipping, AdamW) on wasm and on cpu, and the estimate must be
 * within TOLERANCE of the measured peak: HFT and full fine-tuning, several batch and sequence
 * shapes, frozen embeddings (a pruned backward), qwen2 biases with tied embeddings, and a large
 * vocabulary where the AdamW update is the peak. HFT must be lower than full, estimated and measured.
 *
 * Measured peak = the bytes alive before the step (tf.memory().numBytes: weights and AdamW state,
 * no views between steps) + the largest growth of distinct tensor buffers during it. tfjs registers
 * each data buffer once in its engine's tensorInfo map (set when it appears, delete when the backend
 * frees it), however many tensors refer to it; the meter wraps those two calls. tf.profile's
 * peakBytes samples tf.memory().numBytes instead, which counts a buffer once per tensor referring
 * to it (every reshape view, and on cpu every clone the tape keeps), so it overstates the memory;
 * it is printed beside and must be at least the measured peak. The table is printed for quoting.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { drawMask, type Strategy } from '../../src-main/engine/masks.js';
import { estimateStepMemory, savedTensorsOn, type StepMemory } from '../../src-main/engine/memory-estimate.js';
import type { Params } from '../../src-main/engine/model.js';
import { numel, paramSpecs } from '../../src-main/engine/param-specs.js';
import { TrainStep, type Batch } from '../../src-main/engine/train-step.js';
import { parseHfConfig, type ModelConfig } from '../../src-main/formats/hf-config.js';

/** The estimate must be within ±5% of the measured peak (it models the engine tensor by tensor). */
const TOLERANCE = 0.05;

const BASE = {
  model_type: 'llama',
  vocab_size: 97,
  hidden_size: 36,
  head_dim: 10,
  intermediate_size: 56,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 256,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: false,
};

interface Case {
  name: string;
  config?: Record<string, unknown>;
  strategy: Strategy;
  ratio?: number;
  freezeEmbeddings?: boolean;
  batch: number;
  seq: number;
  weightDecay?: number;
  /** Where the step peaks on each backend (the estimate must say the same). */
  peakAt?: Partial<Record<Backend, StepMemory['phase']>>;
}

const HFT = 'HFT category 0.5, B2 T24';
const FULL = 'full fine-tuning, B2 T24';
const CASES: Case[] = [
  { name: HFT, strategy: 'category', batch: 2, seq: 24 },
  { name: FULL, strategy: 'full', batch: 2, seq: 24 },
  { name: 'full fine-tuning, B1 T64', strategy: 'full', batch: 1, seq: 64 },
  { name: 'HFT category 0.5, B4 T12, no decay', strategy: 'category', batch: 4, seq: 12, weightDecay: 0 },
  // Only the top layer trains (seed 7, stage 1): a one-layer backward; wasm peaks at the forward's end.
  { name: 'layer 0.34, frozen embeddings', strategy: 'layer', ratio: 0.34, freezeEmbeddings: true, batch: 2, seq: 24, peakAt: { wasm: 'forward' } },
  { name: 'qwen2 tied + biases, category 0.5', config: { model_type: 'qwen2', tie_word_embeddings: true }, strategy: 'category', batch: 2, seq: 24 },
  // A [3000, 32] embedding and 8 tokens: AdamW's temporaries for the embedding outweigh the activations.
  { name: 'vocab 3000, full, B1 T8', config: { vocab_size: 3000, hidden_size: 32, head_dim: 8 }, strategy: 'full', batch: 1, seq: 8, peakAt: { wasm: 'update', cpu: 'update' } },
];

type Backend = 'wasm' | 'cpu';
type Registry = WeakMap<object, { bytes: number }>;

/** Runs `run` and returns the largest growth of distinct buffer bytes during it, and the growth at its end. */
async function bufferPeak<T>(run: () => Promise<T>): Promise<{ peak: number; end: number; result: T }> {
  const registry = (tf.engine() as unknown as { state: { tensorInfo: Registry } }).state.tensorInfo;
  const { set, delete: remove } = WeakMap.prototype as Registry;
  let live = 0;
  let peak = 0;
  registry.set = function (key, info) {
    if (!this.has(key)) peak = Math.max(peak, (live += info.bytes));
    return set.call(this, key, info);
  };
  registry.delete = function (key) {
    live -= this.get(key)?.bytes ?? 0;
    return remove.call(this, key);
  };
  try {
    const result = await run();
    return { peak, end: live, result };
  } finally {
    // The own properties shadowed the prototype's methods; removing them restores those.
    delete (registry as Partial<Registry>).set;
    delete (registry as Partial<Registry>).delete;
  }
}

/** Seeded random weights (their values do not change what is allocated). */
function randomParams(cfg: ModelConfig): Params {
  return Object.fromEntries(paramSpecs(cfg).map((s, i) => [s.name, tf.randomNormal(s.shape, 0, 0.05, 'float32', i + 1)]));
}

/** B rows of exactly T tokens, every next token a target, so the padded batch is [B, T]. */
function batchOf(cfg: ModelConfig, B: number, T: number): Batch {
  const ids = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b * 31 + t * 7 + 1) % cfg.vocabSize));
  return { inputIds: ids, labels: ids.map((r) => r.slice()) };
}

interface Row {
  name: string;
  estimate: StepMemory;
  measured: number;
  profiled: number;
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);

for (const backend of ['wasm', 'cpu'] as Backend[]) {
  describe(`memory estimate vs a measured training step (${backend})`, () => {
    const rows = new Map<string, Row>();

    beforeAll(async () => {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });

    afterAll(() => {
      const lines = [...rows.values()].map(
        (r) =>
          `${r.name.padEnd(38)} ${r.estimate.phase.padEnd(9)} ${kib(r.estimate.peakBytes).padStart(9)} ${kib(r.measured).padStart(9)} ` +
          `${(100 * (r.estimate.peakBytes / r.measured - 1)).toFixed(2).padStart(6)}% ${kib(r.profiled).padStart(9)}`,
      );
      console.log(
        [`[${backend}] case                                   peak at   est. KiB  meas. KiB   diff  tf.profile KiB`, ...lines].join('\n'),
      );
    });

    for (const c of CASES) {
      it(`${c.name}: estimated within ±${TOLERANCE * 100}% of the measured peak, no leak`, async () => {
        const cfg = parseHfConfig({ ...BASE, ...c.config });
        const tensorsBefore = tf.memory().numTensors;
        const params = randomParams(cfg);
        const mask = drawMask(paramSpecs(cfg), { strategy: c.strategy, ratio: c.ratio ?? 0.5, seed: 7, stage: 1, freezeEmbeddings: c.freezeEmbeddings ?? false });
        const weightDecay = c.weightDecay ?? 0.01;
        const step = new TrainStep(cfg, params, mask, {
          lr: 1e-3,
          schedule: 'constant',
          warmup: 0,
          totalSteps: 4,
          weightDecay,
          betas: [0.9, 0.999],
          eps: 1e-8,
          clipNorm: 1,
          accumSteps: 1,
        });
        try {
          const batch = batchOf(cfg, c.batch, c.seq);
          await step.step([batch]); // the first step sets kernels up; the second is measured
          const before = tf.memory().numBytes;
          const { peak, end, result: profile } = await bufferPeak(() => tf.profile(async () => void (await step.step([batch]))));
          const measured = before + peak;
          const estimate = estimateStepMemory(cfg, mask, { batchSize: c.batch, seqLen: c.seq, saved: savedTensorsOn(backend), weightDecay: weightDecay !== 0 });
          rows.set(c.name, { name: c.name, estimate, measured, profiled: profile.peakBytes });

          // The meter agrees with tfjs's own count once the step's views are gone, and never
          // exceeds tf.profile's, which counts every view of a buffer again.
          expect(end).toBe(tf.memory().numBytes - before);
          expect(measured).toBeLessThanOrEqual(profile.peakBytes);
          // The persistent part: all weights as float32, AdamW's m and v for the trainable tensors.
          const totalParams = paramSpecs(cfg).reduce((a, s) => a + numel(s.shape), 0);
          expect(estimate.parts.weights).toBe(4 * totalParams);
          expect(4 * totalParams + step.optimizerStateBytes()).toBe(before);
          expect(Math.abs(estimate.peakBytes / measured - 1)).toBeLessThanOrEqual(TOLERANCE);
          expect(estimate.phase).toBe(c.peakAt?.[backend] ?? 'backward');
        } finally {
          step.dispose();
          tf.dispose(Object.values(params));
        }
        expect(tf.memory().numTensors).toBe(tensorsBefore);
      });
    }

    it('HFT (category 0.5) is lower than full fine-tuning, estimated and measured', () => {
      const hft = rows.get(HFT);
      const full = rows.get(FULL);
      expect(hft && full, 'both cases ran').toBeTruthy();
      expect(hft!.estimate.peakBytes).toBeLessThan(full!.estimate.peakBytes);
      expect(hft!.measured).toBeLessThan(full!.measured);
      expect(hft!.estimate.parts.optimizer).toBeLessThan(full!.estimate.parts.optimizer);
    });

  });
}
