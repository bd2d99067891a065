/**
 * TrainStep against PyTorch training runs (test/fixtures/engine/train-<name>/, made by
 * make_engine_fixtures.py): per-step losses and gradient norms, final trainable weights, frozen
 * tensors bit-identical. Also: no tensor leak across steps, optimizer state only for trainable
 * tensors, accumulation == one big batch, and the parameter strategy's frozen elements. cpu + wasm.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel } from '../../src-main/engine/load.js';
import { drawMask, elementMask } from '../../src-main/engine/masks.js';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { countTargets, toTensors, TrainStep, type Batch, type TrainHyper } from '../../src-main/engine/train-step.js';
import {
  bitsOf,
  finalWeightDiffs,
  FIXTURES,
  handMask,
  hyperOf,
  loadTrainCase,
  maxAbsDiff,
  readRows,
  readTrainSpec,
  rel,
  rowBatch,
  runFixtureSteps,
} from './train-fixtures.js';

const CASES = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((n) => n.startsWith('train-')).sort() : [];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`TrainStep vs PyTorch (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });

    it('right-pads ragged rows with token 0 / label -100 and counts shifted targets', () => {
      const batch: Batch = { inputIds: [[5, 6, 7], [8]], labels: [[-100, 6, 7], [8]] };
      expect(countTargets(batch)).toBe(2); // row 0: labels[1:] = [6, 7]; row 1: nothing after t=0
      const [ids, labels] = toTensors(batch);
      expect(Array.from(ids.dataSync())).toEqual([5, 6, 7, 8, 0, 0]);
      expect(Array.from(labels.dataSync())).toEqual([-100, 6, 7, 8, -100, -100]);
      expect(ids.dtype).toBe('int32');
      tf.dispose([ids, labels]);
      expect(() => toTensors({ inputIds: [[1, 2]], labels: [[1]] })).toThrow(/labels/);
    });

    it('has training fixtures', () => expect(CASES.length).toBeGreaterThan(0));

    for (const name of CASES) {
      it(`${name}: losses, grad norms, final weights, frozen bit-identical, no leak`, async () => {
        const { dir, spec, rows, cfg, params, mask } = loadTrainCase(name);
        const frozenBits = new Map(mask.frozen.map((n) => [n, bitsOf(params[n])]));
        const step = new TrainStep(cfg, params, mask, hyperOf(spec));
        for (const n of mask.frozen) expect(params[n]).not.toBeInstanceOf(tf.Variable);
        const { worstLoss, worstNorm } = await runFixtureSteps(step, spec, rows, (r) => expect(r.lr).toBe(spec.lr));
        const { worstW, worstNoise } = await finalWeightDiffs(dir, mask.trainable, (n, want) => maxAbsDiff(params[n].dataSync(), want));
        for (const [n, b] of frozenBits) expect(bitsOf(params[n]), n).toEqual(b);
        console.log(
          `[${backend}] ${name}: max rel diff losses ${worstLoss.toExponential(2)}, grad norms ${worstNorm.toExponential(2)}; ` +
            `max abs diff final weights ${worstW.toExponential(2)}` +
            (worstNoise > 0 ? ` (k_proj.bias, zero true gradient: ${worstNoise.toExponential(2)})` : ''),
        );
        expect(worstLoss).toBeLessThan(1e-4);
        expect(worstNorm).toBeLessThan(1e-4);
        expect(worstW).toBeLessThan(1e-5);
        expect(worstNoise).toBeLessThan(10 * spec.steps * spec.lr);
        expect(step.optimizerStateBytes()).toBe(2 * 4 * mask.trainableParams);
        const before = tf.memory().numTensors;
        step.dispose();
        expect(tf.memory().numTensors).toBe(before - 2 * mask.trainable.length);
        tf.dispose(Object.values(params));
      });
    }

    it('accumulating 2 micro-batches equals one batch of both rows', async () => {
      const dir = join(FIXTURES, 'train-wd-clip');
      const spec = readTrainSpec(dir);
      const rows = readRows(dir);
      const a = loadModel(dir);
      const b = loadModel(dir);
      const mask = handMask(a.cfg, spec.trainable);
      // A large eps keeps Adam from turning float noise in near-zero gradients (different summation
      // order in one batch vs two) into O(lr) updates, so the weights compare the gradients.
      const hyper = { ...hyperOf(spec), clipNorm: 100, eps: 1e-3 };
      const sa = new TrainStep(a.cfg, a.params, mask, { ...hyper, accumSteps: 2 });
      const sb = new TrainStep(b.cfg, b.params, mask, hyper);
      let worstLoss = 0;
      let worstNorm = 0;
      for (let k = 0; k < 3; k++) {
        // rows of different lengths and target counts, so the token weighting matters
        const [r0, r1] = [rows[(2 * k) % rows.length], rows[(2 * k + 1) % rows.length]];
        const ra = await sa.step([rowBatch(r0), rowBatch(r1)]);
        const rb = await sb.step([rowBatch(r0, r1)]);
        expect(ra.tokens).toBe(rb.tokens);
        worstLoss = Math.max(worstLoss, rel(ra.loss, rb.loss));
        worstNorm = Math.max(worstNorm, rel(ra.gradNorm, rb.gradNorm));
      }
      let worstW = 0;
      for (const n of mask.trainable) worstW = Math.max(worstW, maxAbsDiff(a.params[n].dataSync(), b.params[n].dataSync()));
      console.log(`[${backend}] accumulation vs one batch: rel loss ${worstLoss.toExponential(2)}, rel norm ${worstNorm.toExponential(2)}, abs weights ${worstW.toExponential(2)}`);
      expect(worstLoss).toBeLessThan(1e-5);
      expect(worstNorm).toBeLessThan(1e-5);
      expect(worstW).toBeLessThan(1e-6);
      sa.dispose();
      sb.dispose();
      tf.dispose([...Object.values(a.params), ...Object.values(b.params)]);
    });

    it('parameter strategy: frozen elements and frozen tensors stay bit-identical, trained ones move', async () => {
      const dir = join(FIXTURES, 'train-category');
      const rows = readRows(dir);
      const { cfg, params } = loadModel(dir);
      const specs = paramSpecs(cfg);
      const mask = drawMask(specs, { strategy: 'parameter', ratio: 0.5, seed: 3, stage: 1, freezeEmbeddings: true });
      expect(mask.frozen.length).toBeGreaterThan(0); // the embeddings
      const initial = new Map(specs.map((s) => [s.name, bitsOf(params[s.name])]));
      const hyper: TrainHyper = {
        lr: 1e-2, schedule: 'cosine', warmup: 1, totalSteps: 4, weightDecay: 0.1,
        betas: [0.9, 0.999], eps: 1e-8, clipNorm: 0.5, accumSteps: 1,
      };
      const step = new TrainStep(cfg, params, mask, hyper);
      for (let k = 0; k < 4; k++) await step.step([rowBatch(rows[k % rows.length])]);
      for (const n of mask.frozen) expect(bitsOf(params[n]), n).toEqual(initial.get(n));
      for (const s of specs.filter((p) => mask.trainable.includes(p.name))) {
        const m = elementMask(s, mask);
        const now = bitsOf(params[s.name]);
        const was = initial.get(s.name)!;
        let moved = 0;
        for (let i = 0; i < m.length; i++) {
          if (m[i]) moved += now[i] !== was[i] ? 1 : 0;
          else expect(now[i], `${s.name}[${i}]`).toBe(was[i]);
        }
        expect(moved, s.name).toBeGreaterThan(0.9 * m.reduce((a, x) => a + x, 0)); // weight decay moves them all
      }
      expect(step.optimizerStateBytes()).toBe(2 * 4 * mask.trainable.reduce((a, n) => a + params[n].size, 0));
      step.dispose();
      tf.dispose(Object.values(params));
    });
  });
}
