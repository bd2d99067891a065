/**
 * Training on the webgpu backend (Dawn for Node; in CI Mesa's lavapipe software Vulkan) against
 * the PyTorch fixtures: per-step losses and gradient norms within 1e-4 relative, final trainable
 * weights within 1e-4 absolute, frozen tensors bit-identical, no tensor leak across steps; forward
 * logits within 1e-4 relative; saveModel writes the trained values. Every read is `await data()`:
 * webgpu in Node has no synchronous readback, so this also proves the training path needs none.
 *
 * No WebGPU adapter is a failure, not a skip: set HFT_SKIP_WEBGPU=1 to skip on a machine without
 * Vulkan (CI installs lavapipe).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel, saveModel } from '../../src-main/engine/load.js';
import { WEBGPU_READ_SYNC_MESSAGE } from '../../src-main/engine/kernels/webgpu-read-sync.js';
import { forward } from '../../src-main/engine/model.js';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { TrainStep } from '../../src-main/engine/train-step.js';
import { openModelWeights } from '../../src-main/formats/safetensors/index.js';
import {
  bitsOfAsync,
  f32Bits,
  finalWeightDiffs,
  FIXTURES,
  hyperOf,
  loadTrainCase,
  maxAbsDiff,
  readJson,
  runFixtureSteps,
  type Row,
} from './train-fixtures.js';

const TRAIN_CASES = ['train-category', 'train-wd-clip']; // no clipping / clipping + weight decay
const FORWARD_CASE = 'qwen2-bias';
const TOL = 1e-4;
const SKIP = Boolean(process.env.HFT_SKIP_WEBGPU);

describe.skipIf(SKIP)('training on webgpu vs PyTorch', () => {
  const report: string[] = [];
  let tmp: string;
  beforeAll(async () => {
    // Dawn on Linux wants a runtime dir; CI containers often have none.
    if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) {
      process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'hft-xdg-'));
    }
    tmp = mkdtempSync(join(tmpdir(), 'hft-webgpu-'));
    // No adapter (no Vulkan driver) throws here and fails every test below: set HFT_SKIP_WEBGPU to skip.
    const choice = await initBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    report.push(`device: ${choice.device}`);
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    console.log(`webgpu max diffs vs PyTorch\n${report.join('\n')}`);
  });

  it(`${FORWARD_CASE}: forward logits within ${TOL} relative`, async () => {
    const dir = join(FIXTURES, FORWARD_CASE);
    const rows = readJson<{ rows: Row[] }>(join(dir, 'inputs.json')).rows;
    const exp = readJson<{ logits: Record<string, number[][]> }>(join(dir, 'expected.json'));
    const { cfg, params } = loadModel(dir);
    let maxAbs = 0;
    let maxRel = 0;
    const checked = Object.keys(exp.logits);
    expect(checked.length).toBeGreaterThan(0);
    for (const key of checked) {
      const row = rows[Number(key)];
      const ids = tf.tensor2d([row.input_ids], undefined, 'int32');
      const logits = forward(cfg, params, ids);
      const got = await logits.data();
      tf.dispose([ids, logits]);
      const want = exp.logits[key].flat();
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got[i] - want[i]);
        maxAbs = Math.max(maxAbs, d);
        maxRel = Math.max(maxRel, d / Math.max(Math.abs(want[i]), 1));
      }
    }
    report.push(`${FORWARD_CASE} logits: max abs ${maxAbs.toExponential(2)}, rel ${maxRel.toExponential(2)}`);
    expect(maxRel).toBeLessThan(TOL);
    tf.dispose(Object.values(params));
  });

  for (const name of TRAIN_CASES) {
    it(`${name}: losses, grad norms, final weights, frozen bit-identical, no leak, saveModel`, async () => {
      const { dir, spec, rows, cfg, params, mask } = loadTrainCase(name);
      const frozenBits = new Map<string, Uint32Array>();
      for (const n of mask.frozen) frozenBits.set(n, await bitsOfAsync(params[n]));
      const step = new TrainStep(cfg, params, mask, hyperOf(spec));
      const { worstLoss, worstNorm } = await runFixtureSteps(step, spec, rows);
      // The trained values live on the GPU: a synchronous read would fail, so none happened above.
      expect(() => params[mask.trainable[0]].dataSync()).toThrow(WEBGPU_READ_SYNC_MESSAGE);
      const { worstW, worstNoise } = await finalWeightDiffs(dir, mask.trainable, async (n, want) => {
        const got = await params[n].data();
        expect(got.length).toBe(want.length);
        return maxAbsDiff(got, want);
      });
      for (const [n, b] of frozenBits) expect(await bitsOfAsync(params[n]), n).toEqual(b);
      report.push(
        `${name}: losses rel ${worstLoss.toExponential(2)}, grad norms rel ${worstNorm.toExponential(2)}, ` +
          `final weights abs ${worstW.toExponential(2)}` + (worstNoise > 0 ? ` (k_proj.bias ${worstNoise.toExponential(2)})` : ''),
      );
      expect(worstLoss).toBeLessThan(TOL);
      expect(worstNorm).toBeLessThan(TOL);
      expect(worstW).toBeLessThan(1e-4);
      expect(worstNoise).toBeLessThan(10 * spec.steps * spec.lr);

      // saveModel has no synchronous read to lean on here: the file holds exactly the trained values.
      const out = join(tmp, name);
      await saveModel(out, cfg, params);
      const w = openModelWeights(out);
      try {
        for (const s of paramSpecs(cfg)) {
          const saved = f32Bits(w.readFloat32(s.name));
          expect(saved, s.name).toEqual(await bitsOfAsync(params[s.name]));
        }
      } finally {
        w.close();
      }

      const before = tf.memory().numTensors;
      step.dispose();
      expect(tf.memory().numTensors).toBe(before - 2 * mask.trainable.length);
      tf.dispose(Object.values(params));
    });
  }
});
