/**
 * Shared helpers for the tests that compare training against PyTorch fixtures
 * (train-step.test.ts, train-webgpu.test.ts, optimizer.test.ts): the fixture types, readers for
 * train.json / data.jsonl / final.safetensors (test/fixtures/engine/train-<name>/, made by
 * make_engine_fixtures.py), the hand-built mask and hyperparameters a fixture implies, the steps
 * each backend's fixture test shares (load a case, run its steps against PyTorch's losses and
 * gradient norms, diff the final weights), and the comparison helpers (relative / max abs
 * differences, float32 bit patterns). Not a test file itself: the tests import it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { ModelConfig } from '../../src-main/formats/hf-config.js';
import { loadModel } from '../../src-main/engine/load.js';
import type { Mask } from '../../src-main/engine/masks.js';
import { numel, paramSpecs } from '../../src-main/engine/param-specs.js';
import type { Batch, StepResult, TrainHyper, TrainStep } from '../../src-main/engine/train-step.js';

/** test/fixtures/engine: one folder per model / training case. */
export const FIXTURES = join(import.meta.dirname, '../fixtures/engine');

/** The AdamW + clipping settings a PyTorch fixture ran with (train.json and optimizer/adamw.json). */
export interface AdamWFixture {
  steps: number;
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
  clip_grad_norm: number | null;
}

/** train.json of a train-<name> fixture. */
export interface TrainSpec extends AdamWFixture {
  trainable: string[];
  losses: number[];
  grad_norms: number[];
}

/** One line of data.jsonl. */
export interface Row {
  input_ids: number[];
  labels: number[];
}

export const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export const readTrainSpec = (dir: string): TrainSpec => readJson<TrainSpec>(join(dir, 'train.json'));

export const readRows = (dir: string): Row[] =>
  readFileSync(join(dir, 'data.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Row);

/** Minimal F32 safetensors reader (8-byte LE header length, JSON header, raw data). */
function readF32Safetensors(file: string): Map<string, Float32Array> {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out = new Map<string, Float32Array>();
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (h.dtype !== 'F32') throw new Error(`${name}: expected F32, got ${h.dtype}`);
    const [a, b] = h.data_offsets;
    const bytes = buf.subarray(8 + n + a, 8 + n + b);
    out.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  }
  return out;
}

/** The category mask that trains exactly `trainable` (the fixture's hand-picked tensors). */
export function handMask(cfg: ModelConfig, trainable: string[]): Mask {
  const specs = paramSpecs(cfg);
  const on = new Set(trainable);
  return {
    strategy: 'category',
    ratio: 0.5,
    seed: 0,
    stage: 0,
    freezeEmbeddings: false,
    trainable: specs.filter((s) => on.has(s.name)).map((s) => s.name),
    frozen: specs.filter((s) => !on.has(s.name)).map((s) => s.name),
    trainableParams: specs.filter((s) => on.has(s.name)).reduce((a, s) => a + numel(s.shape), 0),
    totalParams: specs.reduce((a, s) => a + numel(s.shape), 0),
  };
}

/** The TrainStep hyperparameters of a fixture: constant LR, no warmup, no accumulation. */
export const hyperOf = (spec: TrainSpec): TrainHyper => ({
  lr: spec.lr,
  schedule: 'constant',
  warmup: 0,
  totalSteps: spec.steps,
  weightDecay: spec.weight_decay,
  betas: spec.betas,
  eps: spec.eps,
  clipNorm: spec.clip_grad_norm,
  accumSteps: 1,
});

/**
 * k_proj.bias has an identically zero gradient: it adds q·b_k to every score of a query, a
 * constant the softmax cancels. Both PyTorch and tfjs compute rounding noise (~1e-9) for it, which
 * Adam normalises into updates of up to ~lr either way, so its final values agree only to
 * O(steps·lr). They are bounded, not compared tightly.
 */
const zeroGradient = (name: string): boolean => name.endsWith('.self_attn.k_proj.bias');

/** A batch of the given rows (TrainStep right-pads ragged ones). */
export const rowBatch = (...rows: Row[]): Batch => ({ inputIds: rows.map((r) => r.input_ids), labels: rows.map((r) => r.labels) });

/** |a-b| / |b| (|b| floored at 1e-12). */
export const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/** Max |a[i]-b[i]| over b's indices. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The float32 bit patterns of `values`, for bit-identity checks. */
export const f32Bits = (values: ArrayLike<number>): Uint32Array => new Uint32Array(Float32Array.from(values).buffer);

/** The float32 bit patterns of a tensor, read synchronously (cpu, wasm). */
export const bitsOf = (t: tf.Tensor): Uint32Array => f32Bits(t.dataSync() as Float32Array);

/** The float32 bit patterns of a tensor, read with `await data()` (webgpu has no synchronous read). */
export const bitsOfAsync = async (t: tf.Tensor): Promise<Uint32Array> => f32Bits(await t.data());

/**
 * Loads the train-<name> fixture: its train.json, data rows, initial model and the mask that
 * trains exactly its `trainable` tensors (checked to name them all).
 */
export function loadTrainCase(name: string) {
  const dir = join(FIXTURES, name);
  const spec = readTrainSpec(dir);
  const rows = readRows(dir);
  const { cfg, params } = loadModel(dir);
  const mask = handMask(cfg, spec.trainable);
  expect(mask.trainable.length).toBe(spec.trainable.length);
  return { dir, spec, rows, cfg, params, mask };
}

/**
 * Runs the fixture's `spec.steps` steps, step k on row k (cycling), as PyTorch did; `each` sees
 * every step's result. Every step after the first must leave the number of live tensors unchanged
 * (no leak). Returns the max relative differences of the losses and gradient norms from PyTorch's.
 */
export async function runFixtureSteps(
  step: TrainStep,
  spec: TrainSpec,
  rows: Row[],
  each?: (r: StepResult) => void,
): Promise<{ worstLoss: number; worstNorm: number }> {
  let worstLoss = 0;
  let worstNorm = 0;
  let tensorsAfterFirst = -1;
  for (let k = 0; k < spec.steps; k++) {
    const r = await step.step([rowBatch(rows[k % rows.length])]);
    worstLoss = Math.max(worstLoss, rel(r.loss, spec.losses[k]));
    worstNorm = Math.max(worstNorm, rel(r.gradNorm, spec.grad_norms[k]));
    each?.(r);
    if (k === 0) tensorsAfterFirst = tf.memory().numTensors;
    else expect(tf.memory().numTensors, `tensors after step ${k + 1}`).toBe(tensorsAfterFirst);
  }
  return { worstLoss, worstNorm };
}

/**
 * Diffs each trainable tensor against the fixture's final.safetensors with `diff` (given the
 * name and PyTorch's final values). Returns the worst diff of the tensors with a real gradient
 * (worstW) and, apart, of those with an identically zero one (worstNoise; see zeroGradient).
 */
export async function finalWeightDiffs(
  dir: string,
  trainable: string[],
  diff: (name: string, want: Float32Array) => number | Promise<number>,
): Promise<{ worstW: number; worstNoise: number }> {
  const final = readF32Safetensors(join(dir, 'final.safetensors'));
  let worstW = 0;
  let worstNoise = 0;
  for (const n of trainable) {
    const d = await diff(n, final.get(n)!);
    if (zeroGradient(n)) worstNoise = Math.max(worstNoise, d);
    else worstW = Math.max(worstW, d);
  }
  return { worstW, worstNoise };
}
