/**
 * The engine's decoder against the independent PyTorch reference (test/fixtures/torch_llama.py,
 * fixtures written by make_engine_fixtures.py), in the style of llm.c's test_gpt2: logits and
 * losses of every case within 1e-4 relative, printing the max abs / rel diffs, on cpu and wasm.
 * Also: right padding is harmless, no tensor leaks, gradients match torch's (per-tensor norms of
 * the first training step) and exist only for the listed variables, loss edge cases, and
 * loadModel's refusals.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel } from '../../src-main/engine/load.js';
import { causalLmLoss, forward, lossAndTokens, rmsNorm, type Params } from '../../src-main/engine/model.js';
import { openModelWeights, writeModelWeights } from '../../src-main/formats/safetensors/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/engine');
const CASES = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'expected.json'))).sort();
const TRAIN_CASES = readdirSync(FIXTURES).filter((n) => n.startsWith('train-')).sort();
const TOL = 1e-4;

interface Row { input_ids: number[]; labels: number[] }
interface Expected {
  rows: { loss: number; tokens: number }[];
  mean_loss: number;
  tokens: number;
  batch: { pad_id: number; loss: number; tokens: number };
  logits: Record<string, number[][]>;
}
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const ids2d = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');

/** llm.c-style comparison: max |a - e| and max |a - e| / max(|e|, 1); fails above TOL relative. */
function compare(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>): { maxAbs: number; maxRel: number } {
  expect(actual.length).toBe(expected.length);
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(expected[i]), 1));
  }
  if (!(maxRel <= TOL)) throw new Error(`${label}: max abs diff ${maxAbs}, max rel diff ${maxRel} > ${TOL}`);
  return { maxAbs, maxRel };
}

const report: string[] = [];
afterAll(() => console.log(`max diffs vs PyTorch\n${report.join('\n')}`));

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`model on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });

    describe.each(CASES)('%s', (name) => {
      const dir = join(FIXTURES, name);
      const rows = readJson<{ rows: Row[] }>(join(dir, 'inputs.json')).rows;
      const exp = readJson<Expected>(join(dir, 'expected.json'));
      let model: ReturnType<typeof loadModel>;
      beforeAll(() => void (model = loadModel(dir)));
      afterAll(() => tf.dispose(Object.values(model.params)));

      it('matches the reference logits and losses row by row', () => {
        let logitAbs = 0, logitRel = 0;
        const losses: number[] = [];
        rows.forEach((row, i) => {
          tf.tidy(() => {
            const logits = forward(model.cfg, model.params, ids2d([row.input_ids]));
            expect(logits.shape).toEqual([1, row.input_ids.length, model.cfg.vocabSize]);
            const { loss, tokens } = causalLmLoss(logits, ids2d([row.labels]));
            expect(tokens).toBe(exp.rows[i].tokens);
            losses.push(loss.dataSync()[0]);
            const want = exp.logits[String(i)];
            if (want !== undefined) {
              const d = compare(`${name} logits row ${i}`, logits.dataSync(), want.flat());
              logitAbs = Math.max(logitAbs, d.maxAbs);
              logitRel = Math.max(logitRel, d.maxRel);
            }
          });
        });
        const l = compare(`${name} losses`, losses, exp.rows.map((r) => r.loss));
        report.push(`${backend} ${name.padEnd(20)} logits abs ${logitAbs.toExponential(2)} rel ${logitRel.toExponential(2)}  loss abs ${l.maxAbs.toExponential(2)}`);
      });

      it('gives the same loss for a right-padded batch (labels -100) as row by row', () => {
        const T = Math.max(...rows.map((r) => r.input_ids.length));
        const pad = (a: number[], v: number) => [...a, ...Array<number>(T - a.length).fill(v)];
        tf.tidy(() => {
          const logits = forward(model.cfg, model.params, ids2d(rows.map((r) => pad(r.input_ids, exp.batch.pad_id))));
          const { loss, tokens } = causalLmLoss(logits, ids2d(rows.map((r) => pad(r.labels, -100))));
          expect(tokens).toBe(exp.batch.tokens);
          expect(tokens).toBe(exp.tokens);
          compare(`${name} batch loss`, [loss.dataSync()[0]], [exp.batch.loss]);
          compare(`${name} batch = token-weighted mean of rows`, [loss.dataSync()[0]], [exp.mean_loss]);
          // The padded row's logits at its real positions equal the row alone: padding is after them.
          const short = rows[1];
          const alone = forward(model.cfg, model.params, ids2d([short.input_ids]));
          const inBatch = tf.slice(logits, [1, 0, 0], [1, short.input_ids.length, -1]);
          compare(`${name} padded logits`, inBatch.dataSync(), alone.dataSync());
        });
      });
    });

    it('leaks no tensors in forward + loss, or in variableGrads', () => {
      const { cfg, params } = loadModel(join(FIXTURES, 'qwen2-bias'));
      const row = readJson<{ rows: Row[] }>(join(FIXTURES, 'qwen2-bias', 'inputs.json')).rows[0];
      const vars = Object.fromEntries(Object.entries(params).map(([n, t]) => [n, tf.variable(t, true, `leak/${backend}/${n}`)]));
      const [ids, labels] = [ids2d([row.input_ids]), ids2d([row.labels])];
      const before = tf.memory().numTensors;
      // Called bare, not inside tf.tidy (which would dispose whatever they leak): only the returned
      // tensors are disposed, so any intermediate left alive shows in the count.
      const logits = forward(cfg, params, ids);
      const { loss } = causalLmLoss(logits, labels);
      loss.dataSync();
      tf.dispose([logits, loss]);
      expect(tf.memory().numTensors).toBe(before);
      const bare = lossAndTokens(cfg, params, ids, labels.arraySync());
      bare.loss.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const varList = Object.values(vars).slice(0, 5);
      const { value, grads } = tf.variableGrads(() => lossAndTokens(cfg, vars, ids, labels).loss, varList);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([ids, labels, ...Object.values(vars), ...Object.values(params)]);
    });

    describe.each(TRAIN_CASES)('gradients of %s', (name) => {
      it("match torch's first-step gradient norms and exist only for the trainable tensors", () => {
        const dir = join(FIXTURES, name);
        const spec = readJson<{ trainable: string[]; grad_norms: number[]; first_grad_norms: Record<string, number> }>(join(dir, 'train.json'));
        const row = JSON.parse(readFileSync(join(dir, 'data.jsonl'), 'utf8').split('\n')[0]) as Row;
        const { cfg, params } = loadModel(dir);
        const trainable = new Set(spec.trainable);
        const mixed: Params = {};
        for (const [n, t] of Object.entries(params)) mixed[n] = trainable.has(n) ? tf.variable(t, true, `${name}/${backend}/${n}`) : t;
        const varList = spec.trainable.map((n) => mixed[n] as tf.Variable);
        const { value, grads } = tf.variableGrads(() => lossAndTokens(cfg, mixed, ids2d([row.input_ids]), ids2d([row.labels])).loss, varList);
        expect(Object.keys(grads).sort()).toEqual(varList.map((v) => v.name).sort());
        const norms = spec.trainable.map((n) => tf.tidy(() => tf.norm(grads[(mixed[n] as tf.Variable).name]).dataSync()[0]));
        const d = compare(`${name} grad norms`, norms, spec.trainable.map((n) => spec.first_grad_norms[n]));
        compare(`${name} global grad norm`, [Math.hypot(...norms)], [spec.grad_norms[0]]);
        report.push(`${backend} ${`${name} grads`.padEnd(20)} per-tensor grad norm abs ${d.maxAbs.toExponential(2)} rel ${d.maxRel.toExponential(2)}`);
        tf.dispose([value, ...Object.values(grads), ...varList, ...Object.values(params)]);
      });
    });

    it('computes no gradient for frozen weights (one extra matmul when only lm_head trains)', async () => {
      const { cfg, params } = loadModel(join(FIXTURES, 'llama-mha'));
      const ids = ids2d([[1, 5, 9, 3, 7]]);
      const head = tf.variable(params['lm_head.weight'], true, `head-only/${backend}`);
      const mixed: Params = { ...params, 'lm_head.weight': head };
      const count = (kernels: { name: string }[], k: string) => kernels.filter((x) => x.name === k).length;
      // tf.profile reuses one profile object: count before the next call.
      const fwd = await tf.profile(() => lossAndTokens(cfg, mixed, ids, ids).loss);
      const fwdMatMuls = count(fwd.kernels, 'BatchMatMul');
      tf.dispose(fwd.result as tf.Tensor);
      const bwd = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => lossAndTokens(cfg, mixed, ids, ids).loss, [head]);
        return [value, grads[head.name]];
      });
      expect(fwdMatMuls).toBe(cfg.numLayers * 9 + 1); // q, k, v, o, 2 attention, gate, up, down; head
      expect(count(bwd.kernels, 'BatchMatMul')).toBe(fwdMatMuls + 1); // + d(lm_head) only
      const embedGrads = bwd.kernels.filter((k) => k.name === 'ScatterNd' && `${k.outputShapes[0]}` === `${[cfg.vocabSize, cfg.hiddenSize]}`);
      expect(embedGrads).toHaveLength(0); // frozen embedding: no [V, d] scatter-add
      const embed = tf.variable(params['model.embed_tokens.weight'], true, `embed-too/${backend}`);
      const both = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => lossAndTokens(cfg, { ...mixed, 'model.embed_tokens.weight': embed }, ids, ids).loss, [head, embed]);
        return [value, ...Object.values(grads)];
      });
      expect(both.kernels.filter((k) => k.name === 'ScatterNd' && `${k.outputShapes[0]}` === `${[cfg.vocabSize, cfg.hiddenSize]}`)).toHaveLength(1);
      tf.dispose([embed, ...(both.result as tf.Tensor[])]);
      tf.dispose([ids, head, ...Object.values(params), ...(bwd.result as tf.Tensor[])]);
    });

    it('has exact gradients for the embedding lookup (repeated ids) and the cross entropy', () => {
      const { cfg, params } = loadModel(join(FIXTURES, 'llama-mha'));
      const ids = ids2d([[3, 3, 7, 3, 7, 1], [0, 3, 3, 2, 9, 9]]);
      const table = params['model.embed_tokens.weight'];
      const r = tf.randomNormal([2, 6, cfg.vocabSize], 0, 1, 'float32', 7);
      // No layers: logits = head(norm(embed[ids])). Reference: the lookup as a dense one-hot matmul.
      const flat = { ...cfg, numLayers: 0 };
      const ours = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(forward(flat, { ...params, 'model.embed_tokens.weight': w }, ids), r)))(table);
      const dense = tf.grad((w: tf.Tensor) => {
        const x = tf.matMul(tf.oneHot(tf.reshape(ids, [12]) as tf.Tensor1D, cfg.vocabSize), w as tf.Tensor2D); // [12, d]
        const h = rmsNorm(x as tf.Tensor2D, params['model.norm.weight'], cfg.rmsNormEps);
        const logits = tf.reshape(tf.matMul(h, params['lm_head.weight'] as tf.Tensor2D, false, true), [2, 6, cfg.vocabSize]);
        return tf.sum(tf.mul(logits, r));
      })(table);
      compare('embedding gradient', ours.dataSync(), dense.dataSync());

      // Cross entropy: the fused (softmax - onehot) gradient against tfjs's own logSoftmax gradient.
      const labels = ids2d([[-100, 3, 7, 3, -100, 1], [0, -100, 3, 2, 9, 9]]);
      const fused = tf.grad((x: tf.Tensor) => causalLmLoss(x as tf.Tensor3D, labels).loss)(r);
      const naive = tf.grad((x: tf.Tensor) => {
        const logp = tf.logSoftmax(tf.slice(x, [0, 0, 0], [2, 5, -1]));
        const lab = tf.slice(labels, [0, 1], [2, 5]);
        const mask = tf.cast(tf.notEqual(lab, -100), 'float32');
        const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.maximum(lab, tf.scalar(0, 'int32')) as tf.Tensor2D, cfg.vocabSize)), -1);
        return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.sum(mask));
      })(r);
      compare('cross-entropy gradient', fused.dataSync(), naive.dataSync());
      tf.dispose([ids, r, ours, dense, labels, fused, naive, ...Object.values(params)]);
    });

    it('gives loss 0 (not NaN) and zero gradients when no label is a target', () => {
      const logits = tf.variable(tf.randomNormal<tf.Rank.R3>([2, 4, 8], 0, 1, 'float32', 1), true, `no-target/${backend}`);
      const { value, grads } = tf.variableGrads(() => {
        const r = causalLmLoss(logits, ids2d([[-100, -100, -100, -100], [5, -100, -100, -100]]));
        expect(r.tokens).toBe(0);
        return r.loss;
      }, [logits]);
      expect(value.dataSync()[0]).toBe(0);
      expect(Math.max(...tf.abs(grads[logits.name]).dataSync())).toBe(0);
      const one = causalLmLoss(tf.zeros([1, 1, 8]) as tf.Tensor3D, ids2d([[3]]));
      expect([one.loss.dataSync()[0], one.tokens]).toEqual([0, 0]);
      expect(() => causalLmLoss(tf.zeros([1, 2, 8]) as tf.Tensor3D, ids2d([[3, 8]]))).toThrow(/outside the vocabulary/);
      tf.dispose([logits, value, ...Object.values(grads), one.loss]);
    });
  });
}

describe('loadModel refuses a checkpoint that does not match config.json', () => {
  const src = join(FIXTURES, 'llama-mha');
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hft-load-'));
    await initBackend('cpu');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A copy of llama-mha whose tensors went through `edit`. */
  function variant(tag: string, edit: (ts: { name: string; shape: number[]; data: Float32Array }[]) => void): string {
    const dir = join(tmp, tag);
    cpSync(join(src, 'config.json'), join(dir, 'config.json'));
    const w = openModelWeights(src);
    const ts = w.names().map((name) => ({ name, shape: w.info(name).shape, data: w.readFloat32(name) }));
    w.close();
    edit(ts);
    writeModelWeights(dir, ts);
    return dir;
  }

  it('names a misshaped tensor', () => {
    const dir = variant('shape', (ts) => {
      const k = ts.find((t) => t.name === 'model.layers.1.self_attn.k_proj.weight')!;
      k.shape = [k.shape[1], k.shape[0] / 2];
      k.data = k.data.subarray(0, k.shape[0] * k.shape[1]);
    });
    expect(() => loadModel(dir)).toThrow(/tensor "model\.layers\.1\.self_attn\.k_proj\.weight" has shape \[32, 16\], config\.json implies \[32, 32\]/);
  });

  it('names a missing tensor', () => {
    const dir = variant('missing', (ts) => ts.splice(ts.findIndex((t) => t.name === 'model.layers.0.mlp.up_proj.weight'), 1));
    expect(() => loadModel(dir)).toThrow(/tensor "model\.layers\.0\.mlp\.up_proj\.weight" is missing/);
  });

  it('names an unexpected tensor, but ignores lm_head.weight in a tied model', () => {
    const dir = variant('extra', (ts) => ts.push({ name: 'model.layers.0.self_attn.o_proj.bias', shape: [32], data: new Float32Array(32) }));
    expect(() => loadModel(dir)).toThrow(/unexpected tensor "model\.layers\.0\.self_attn\.o_proj\.bias"/);
    const tied = join(tmp, 'tied');
    cpSync(join(FIXTURES, 'llama-gqa2-tied'), tied, { recursive: true });
    const w = openModelWeights(tied);
    const ts = w.names().map((name) => ({ name, shape: w.info(name).shape, data: w.readFloat32(name) }));
    w.close();
    writeModelWeights(tied, [...ts, { name: 'lm_head.weight', shape: ts[0].shape, data: ts[0].data }]);
    const { params } = loadModel(tied);
    expect(params['lm_head.weight']).toBeUndefined();
    tf.dispose(Object.values(params));
  });
});
