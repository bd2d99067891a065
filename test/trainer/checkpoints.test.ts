/**
 * Checkpoints: a stage interrupted at a checkpoint and continued from it ends bit-identical to the
 * uninterrupted stage; a damaged or half-written checkpoint is refused, never half-read.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel, paramsFromArrays, weightReaders } from '../../src-main/engine/load.js';
import { drawMask } from '../../src-main/engine/masks.js';
import type { Params } from '../../src-main/engine/model.js';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { TrainStep, type TrainHyper } from '../../src-main/engine/train-step.js';
import type { ModelConfig } from '../../src-main/formats/hf-config.js';
import { CheckpointError, readCheckpoint, writeCheckpoint } from '../../src-main/trainer/checkpoints.js';
import { FIXTURES, readRows, rowBatch } from '../engine/train-fixtures.js';

const MODEL = join(FIXTURES, 'train-category');
const STEPS = 6;
const HYPER: TrainHyper = { lr: 3e-3, schedule: 'cosine', warmup: 2, totalSteps: STEPS, weightDecay: 0.01, betas: [0.9, 0.999], eps: 1e-8, clipNorm: 1, accumSteps: 1 };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hft-ckpt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function snapshot(cfg: ModelConfig, params: Params): Promise<Map<string, Float32Array>> {
  return new Map((await weightReaders(cfg, params)).map((r) => [r.name, r.read().slice()]));
}

for (const backend of ['cpu', 'wasm'] as const) {
  it(`a stage continued from a mid-stage checkpoint ends bit-identical to the uninterrupted one (${backend})`, async () => {
    await initBackend(backend);
    const rows = readRows(MODEL);
    const batch = (s: number) => [rowBatch(rows[s % rows.length])];

    const full = loadModel(MODEL);
    const mask = drawMask(paramSpecs(full.cfg), { strategy: 'category', ratio: 0.5, seed: 3, stage: 0, freezeEmbeddings: false });
    const a = new TrainStep(full.cfg, full.params, mask, HYPER);
    for (let s = 0; s < STEPS; s++) await a.step(batch(s));
    a.dispose();
    const expected = await snapshot(full.cfg, full.params);
    tf.dispose(Object.values(full.params));

    const first = loadModel(MODEL);
    const b = new TrainStep(first.cfg, first.params, mask, HYPER);
    for (let s = 0; s < 3; s++) await b.step(batch(s));
    const ck = writeCheckpoint(join(dir, backend), 'run-a', { stage: 0, step: 3, stageStep: 3, stageEnd: false }, await weightReaders(first.cfg, first.params), await b.exportState());
    b.dispose();
    tf.dispose(Object.values(first.params));

    const back = readCheckpoint(ck.path, ck.manifestSha256);
    expect(back).toMatchObject({ stage: 0, step: 3, stageStep: 3, stageEnd: false });
    const params = paramsFromArrays(first.cfg, back.weights);
    const c = new TrainStep(first.cfg, params, mask, HYPER);
    c.importState(back.train!);
    for (let s = 3; s < STEPS; s++) await c.step(batch(s));
    c.dispose();
    const resumed = await snapshot(first.cfg, params);
    tf.dispose(Object.values(params));
    for (const [name, values] of expected) {
      expect(Buffer.from(resumed.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    }
    // And the check can fail: the state before training differs from the trained one.
    const base = loadModel(MODEL);
    const untouched = await snapshot(base.cfg, base.params);
    tf.dispose(Object.values(base.params));
    expect(mask.trainable.some((n) => !Buffer.from(untouched.get(n)!.buffer).equals(Buffer.from(expected.get(n)!.buffer)))).toBe(true);
  });
}

describe('checkpoint files', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('a flipped byte in any file is detected and named', async () => {
    const m = loadModel(MODEL);
    const ck = writeCheckpoint(dir, 'run-b', { stage: 1, step: 7, stageStep: 7, stageEnd: true }, await weightReaders(m.cfg, m.params), null);
    tf.dispose(Object.values(m.params));
    expect(readCheckpoint(ck.path, ck.manifestSha256).train).toBeNull();
    const file = join(ck.path, 'model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0x10;
    writeFileSync(file, bytes);
    expect(() => readCheckpoint(ck.path, ck.manifestSha256)).toThrow(CheckpointError);
    expect(() => readCheckpoint(ck.path)).toThrow(/model\.safetensors is corrupt/);
  });

  it('a manifest that is not the recorded one, or missing, is refused', async () => {
    const m = loadModel(MODEL);
    const ck = writeCheckpoint(dir, 'run-c', { stage: 0, step: 2, stageStep: 2, stageEnd: true }, await weightReaders(m.cfg, m.params), null);
    tf.dispose(Object.values(m.params));
    expect(() => readCheckpoint(ck.path, '0'.repeat(64))).toThrow(/does not match the checksum/);
    rmSync(join(ck.path, 'manifest.json'));
    expect(() => readCheckpoint(ck.path, ck.manifestSha256)).toThrow(/incomplete/);
  });

  it('a write that fails part-way leaves no checkpoint folder behind', async () => {
    const m = loadModel(MODEL);
    const readers = await weightReaders(m.cfg, m.params);
    const broken = readers.map((r, i) => (i === 3 ? { ...r, read: () => { throw new Error('disk full'); } } : r));
    expect(() => writeCheckpoint(dir, 'run-d', { stage: 2, step: 9, stageStep: 9, stageEnd: true }, broken, null)).toThrow(/disk full/);
    tf.dispose(Object.values(m.params));
    expect(existsSync(join(dir, 'stage-2', 'step-9'))).toBe(false);
    expect(readdirSync(join(dir, 'stage-2'))).toEqual([]);
  });
});
