/**
 * AdamW, clipping and LR schedules against torch.optim.AdamW + clip_grad_norm_ + HF schedules
 * (fixture: test/fixtures/make_optimizer_fixtures.py), plus element-mask bit-identity, leaks and
 * state size. Runs on the cpu and wasm backends.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { clipByGlobalNorm } from '../../src-main/engine/clip.js';
import { AdamW } from '../../src-main/engine/optimizer.js';
import { lrAt, type ScheduleSpec } from '../../src-main/engine/schedule.js';
import { bitsOf, readJson, type AdamWFixture } from './train-fixtures.js';

interface Case extends AdamWFixture {
  name: string;
  shapes: number[][];
  schedule: 'constant' | 'cosine';
  warmup: number;
  total_steps: number;
  min_lr: number;
  init: number[][];
  grads: number[][][];
  lrs: number[];
  norms: number[];
  after: number[][][];
}

const fixture = readJson<{ torch: string; cases: Case[] }>(join(import.meta.dirname, '../fixtures/optimizer/adamw.json'));

const scheduleOf = (c: Case): ScheduleSpec => ({
  kind: c.schedule,
  lr: c.lr,
  warmup: c.warmup,
  totalSteps: c.total_steps,
  minLr: c.min_lr,
});

/**
 * Max |a-b| / max(|b|, 1): relative for |b| >= 1, absolute below (the weights are ~N(0, 1)). A
 * plain relative error is meaningless for a weight that decays through zero: torch's fused
 * multiply-adds round once where tfjs rounds twice, and a 1-ulp difference at 0.9 stays 1e-8
 * absolute while the weight itself passes 0.01.
 */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1));
  return worst;
}

/** A variable holding `t`, which is consumed (the variable shares its data). */
function own(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t);
  t.dispose();
  return v;
}

describe('schedule', () => {
  it('constant is constant, with an optional linear warmup from 0', () => {
    const s: ScheduleSpec = { kind: 'constant', lr: 0.1, warmup: 0, totalSteps: 10 };
    expect([0, 1, 9, 20].map((k) => lrAt(s, k))).toEqual([0.1, 0.1, 0.1, 0.1]);
    const w: ScheduleSpec = { ...s, warmup: 4 };
    expect([0, 2, 4, 9].map((k) => lrAt(w, k))).toEqual([0, 0.05, 0.1, 0.1]);
  });

  it('cosine: warmup, then half a cosine down to minLr at totalSteps', () => {
    const s: ScheduleSpec = { kind: 'cosine', lr: 1, warmup: 2, totalSteps: 12, minLr: 0.1 };
    expect(lrAt(s, 0)).toBe(0);
    expect(lrAt(s, 1)).toBe(0.5);
    expect(lrAt(s, 2)).toBe(1);
    expect(lrAt(s, 7)).toBeCloseTo(0.55, 12); // midway: (1 + 0.1) / 2
    expect(lrAt(s, 12)).toBeCloseTo(0.1, 12);
    expect(lrAt({ ...s, minLr: undefined }, 12)).toBeCloseTo(0, 12);
  });

  it('matches the LRs torch saw through LambdaLR with HF lambdas', () => {
    for (const c of fixture.cases) {
      for (let k = 0; k < c.steps; k++) expect(lrAt(scheduleOf(c), k)).toBeCloseTo(c.lrs[k], 14);
    }
  });

  it('rejects a bad step', () => {
    expect(() => lrAt({ kind: 'constant', lr: 1, warmup: 0, totalSteps: 1 }, -1)).toThrow(/step/);
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`AdamW vs torch ${fixture.torch} (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });

    for (const c of fixture.cases) {
      it(`${c.name}: norms, LRs and weights after every step`, async () => {
        const vars: Record<string, tf.Variable> = {};
        c.shapes.forEach((shape, i) => (vars[`p${i}`] = own(tf.tensor(c.init[i], shape))));
        const opt = new AdamW(vars, { betas: c.betas, eps: c.eps, weightDecay: c.weight_decay });
        let worstW = 0;
        let worstNorm = 0;
        for (let k = 0; k < c.steps; k++) {
          const grads: Record<string, tf.Tensor> = {};
          c.shapes.forEach((shape, i) => (grads[`p${i}`] = tf.tensor(c.grads[k][i], shape)));
          const normT = clipByGlobalNorm(grads, c.clip_grad_norm);
          const norm = (await normT.data())[0];
          normT.dispose();
          worstNorm = Math.max(worstNorm, Math.abs(norm - c.norms[k]) / c.norms[k]);
          opt.step(grads, lrAt(scheduleOf(c), k));
          tf.dispose(Object.values(grads));
          c.shapes.forEach((_, i) => (worstW = Math.max(worstW, maxRel(vars[`p${i}`].dataSync(), c.after[k][i]))));
        }
        console.log(`[${backend}] ${c.name}: max rel diff weights ${worstW.toExponential(2)}, norms ${worstNorm.toExponential(2)}`);
        expect(worstNorm).toBeLessThan(1e-6);
        expect(worstW).toBeLessThan(1e-6);
        expect(opt.stepCount()).toBe(c.steps);
        opt.dispose();
        tf.dispose(Object.values(vars));
      });
    }

    it('element mask: maskGradients + step keep frozen elements bit-identical (with weight decay), trained ones = masked-gradient AdamW', () => {
      const shape = [37, 19];
      const n = shape[0] * shape[1];
      const init = tf.randomNormal(shape, 0, 1, 'float32', 7);
      const mask = new Uint8Array(n).map((_, i) => ((i * 2654435761) >>> 0) % 3 === 0 ? 1 : 0);
      const maskF = tf.tensor(Float32Array.from(mask), shape);
      const a = own(init.clone());
      const b = own(init.clone());
      const initBits = bitsOf(init);
      const optA = new AdamW({ w: a }, { weightDecay: 0.1 }, { w: mask });
      const optB = new AdamW({ w: b }, { weightDecay: 0.1 });
      for (let k = 0; k < 5; k++) {
        const g = tf.randomNormal(shape, 0, 1, 'float32', 100 + k);
        const gMasked = tf.mul(g, maskF);
        const gValues = g.dataSync().slice();
        const gradsA = { w: g };
        optA.maskGradients(gradsA); // replaces (and disposes) g, as TrainStep does before clipping
        expect(g.isDisposed).toBe(true);
        const masked = gradsA.w.dataSync();
        expect(masked.filter((x, i) => !Object.is(x, mask[i] ? gValues[i] : 0)).length).toBe(0);
        optA.step(gradsA, 0.05);
        optB.step({ w: gMasked }, 0.05);
        tf.dispose([gradsA.w, gMasked]);
      }
      const aBits = bitsOf(a);
      const bBits = bitsOf(b);
      let frozen = 0;
      let moved = 0;
      for (let i = 0; i < n; i++) {
        if (mask[i]) {
          expect(aBits[i]).toBe(bBits[i]);
          if (aBits[i] !== initBits[i]) moved++;
        } else {
          frozen++;
          expect(aBits[i]).toBe(initBits[i]);
        }
      }
      expect(frozen).toBeGreaterThan(n / 2);
      expect(moved).toBe(n - frozen);
      // A float mask tensor works the same, and step alone (unmasked gradient) still leaves frozen
      // elements as they are.
      const c = own(init.clone());
      const optC = new AdamW({ w: c }, { weightDecay: 0.1 }, { w: maskF });
      const g = tf.randomNormal(shape, 0, 1, 'float32', 100);
      optC.step({ w: g }, 0.05);
      const cBits = bitsOf(c);
      for (let i = 0; i < n; i++) if (!mask[i]) expect(cBits[i]).toBe(initBits[i]);
      expect(optA.maskBytes()).toBe(n);
      [optA, optB, optC].forEach((o) => o.dispose());
      tf.dispose([init, maskF, a, b, c, g]);
    });

    it('keeps state only for its variables, leaks nothing, and frees its state on dispose', () => {
      const before = tf.memory().numTensors;
      const vars = { a: own(tf.ones([3, 4])), b: own(tf.ones([5])) };
      const opt = new AdamW(vars, { lr: 0.1 });
      expect(opt.stateBytes()).toBe(2 * 4 * (12 + 5));
      const grads = { a: tf.ones([3, 4]), b: tf.ones([5]) };
      opt.step(grads);
      const afterOne = tf.memory().numTensors;
      for (let k = 0; k < 4; k++) opt.step(grads);
      opt.step({ a: grads.a }); // b has no gradient this step: skipped, like torch
      expect(tf.memory().numTensors).toBe(afterOne);
      expect(opt.stepCount('a')).toBe(6);
      expect(opt.stepCount('b')).toBe(5);
      opt.dispose();
      tf.dispose(Object.values(grads));
      expect(tf.memory().numTensors).toBe(before + 2); // just the two variables
      expect(vars.a.dataSync()[0]).toBeLessThan(1); // still usable
      tf.dispose(Object.values(vars));
      expect(tf.memory().numTensors).toBe(before);
    });

    it('clipping leaves gradients alone under the limit and scales them to it over the limit', async () => {
      const before = tf.memory().numTensors;
      const grads = { a: tf.tensor([3, 0]), b: tf.tensor([4]) };
      const a = grads.a;
      const clip = async (maxNorm: number | null): Promise<number> => {
        const norm = clipByGlobalNorm(grads, maxNorm);
        const value = (await norm.data())[0];
        norm.dispose();
        return value;
      };
      // Like torch, the gradients are always multiplied by the clamped coefficient: by exactly 1 here.
      expect(await clip(10)).toBeCloseTo(5, 6);
      expect(a.isDisposed).toBe(true);
      expect(Array.from(await grads.a.data())).toEqual([3, 0]);
      expect(Array.from(await grads.b.data())).toEqual([4]);
      expect(await clip(1)).toBeCloseTo(5, 6);
      // 3 * reciprocal(5 + 1e-6) * 1 in float32 (as torch computes it; numpy float32 agrees): not 0.6.
      expect(Array.from(await grads.a.data())).toEqual([Math.fround(0.5999999), 0]);
      const b = grads.b;
      expect(await clip(null)).toBeCloseTo(1, 5);
      expect(grads.b).toBe(b); // no limit: only measured
      expect(() => clipByGlobalNorm(grads, 0)).toThrow(/positive/);
      tf.dispose(Object.values(grads));
      expect(tf.memory().numTensors).toBe(before);
    });

    it('rejects mismatched gradients and masks', () => {
      const v = own(tf.zeros([2, 2]));
      expect(() => new AdamW({ v }, {}, { v: new Uint8Array(3) })).toThrow(/mask/);
      expect(() => new AdamW({ v }, {}, { w: new Uint8Array(4) })).toThrow(/unknown/);
      const opt = new AdamW({ v });
      const g = tf.zeros([4]);
      expect(() => opt.step({ v: g })).toThrow(/shape/);
      expect(() => opt.step({ w: g })).toThrow(/unknown/);
      opt.dispose();
      tf.dispose([v, g]);
    });
  });
}
