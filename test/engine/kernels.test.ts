/**
 * Our wasm kernels against the cpu backend: UnsortedSegmentSum, the fast-path BatchMatMul /
 * _FusedMatMul wrapper (all transpose combinations, batch shapes, gradients), a LLaMA-like
 * forward + backward, and tensor / heap-buffer leaks. Also prints the before/after timings of
 * the matmul wrapper (printed, not asserted).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { ENGINE_KERNELS, WRAPPED_KERNELS } from '../../src-main/engine/kernels/index.js';
import { unwrapWasmMatMul, wrapWasmMatMul } from '../../src-main/engine/kernels/wasm-matmul.js';

type Arrays = { shape: number[]; values: Float32Array | Int32Array | Uint8Array }[];

/** Runs `f` on `backend` with fresh copies of `inputs`; returns every output as plain arrays. */
async function on(backend: 'wasm' | 'cpu', inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Arrays> {
  const raw = inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, values: t.dataSync().slice() }));
  await initBackend(backend);
  const outs = tf.tidy(() => {
    const xs = raw.map((r) => tf.tensor(r.values, r.shape, r.dtype));
    const out = f(...xs);
    return Array.isArray(out) ? out : [out];
  });
  const arrays = outs.map((o) => ({ shape: o.shape, values: o.dataSync().slice() as Arrays[0]['values'] }));
  tf.dispose(outs);
  return arrays;
}

/** Runs `f` on wasm and on cpu, expects equal shapes and a max abs difference under `tol`. */
async function expectSameAsCpu(inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<number> {
  const got = await on('wasm', inputs, f);
  const want = await on('cpu', inputs, f);
  await initBackend('wasm');
  expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
  let maxDiff = 0;
  got.forEach((g, i) => g.values.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - want[i].values[j])))));
  expect(maxDiff).toBeLessThanOrEqual(tol);
  return maxDiff;
}

/** Forward value and gradients of sum(f(...xs) * r) with respect to every input. */
const withGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor) => (...xs: tf.Tensor[]) => {
  const out = f(...xs);
  const r = tf.randomUniform(out.shape, -1, 1, 'float32', 7);
  return [out, ...tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), r)))(xs)];
};

const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

function expectNoLeaks(run: () => void): void {
  const before = tf.memory();
  run();
  const after = tf.memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect((after as { numDataBuffers: number }).numDataBuffers).toBe((before as { numDataBuffers: number }).numDataBuffers);
}

beforeAll(async () => {
  await initBackend('cpu');
  await initBackend('wasm');
});

describe('registration', () => {
  it('registers UnsortedSegmentSum and wraps the matmuls on wasm only', () => {
    expect(ENGINE_KERNELS.wasm).toEqual(['UnsortedSegmentSum']);
    for (const name of [...ENGINE_KERNELS.wasm, ...WRAPPED_KERNELS.wasm]) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    expect(WRAPPED_KERNELS.wasm).toEqual(['BatchMatMul', '_FusedMatMul']);
    expect(ENGINE_KERNELS.webgpu).toEqual([]);
  });

  it('registers tfjs-core gradients', () => {
    for (const name of ['Neg', 'BatchMatMul', 'GatherV2', 'Softmax', 'Rsqrt', 'Sigmoid']) expect(tf.getGradient(name)).toBeDefined();
  });
});

describe('UnsortedSegmentSum (wasm)', () => {
  it('matches cpu for float32, with out-of-range ids dropped', async () => {
    const x = rand([9, 3, 4], 1);
    const ids = tf.tensor1d([0, 4, 2, 2, -1, 7, 0, 3, 4], 'int32');
    await expectSameAsCpu([x, ids], (a, s) => tf.unsortedSegmentSum(a, s as tf.Tensor1D, 5));
  });

  it('matches cpu for int32 and 1-D x', async () => {
    const x = tf.tensor1d([1, 2, 3, 4, 5, 6], 'int32');
    const ids = tf.tensor1d([2, 0, 2, 1, 0, 2], 'int32');
    await expectSameAsCpu([x, ids], (a, s) => tf.unsortedSegmentSum(a, s as tf.Tensor1D, 3), 0);
  });

  it('gives the embedding (gather) gradient, repeated ids included', async () => {
    const emb = rand([11, 6], 2);
    const ids = tf.tensor2d([[1, 5, 5, 0], [10, 1, 3, 5]], [2, 4], 'int32');
    await expectSameAsCpu([emb], withGrads((e) => tf.gather(e, ids)));
  });

  it('leaks nothing', () => {
    const x = rand([6, 5], 3);
    const ids = tf.tensor1d([0, 1, 1, 2, 0, 1], 'int32');
    expectNoLeaks(() => tf.unsortedSegmentSum(x, ids, 3).dispose());
    tf.dispose([x, ids]);
  });
});

describe('BatchMatMul wrapper (wasm)', () => {
  const flags: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
  const shapes = (m: number, k: number, n: number, ta: boolean, tb: boolean, batchA: number[], batchB: number[]) => [
    [...batchA, ...(ta ? [k, m] : [m, k])],
    [...batchB, ...(tb ? [n, k] : [k, n])],
  ];
  // tfjs-core cannot differentiate a matMul that broadcasts a batch (see the last test here), so
  // broadcasting layouts are checked forward only.
  const layouts: [string, number[], number[], boolean][] = [
    ['2-D', [], [], true],
    ['batched', [3], [3], true],
    ['4-D', [2, 3], [2, 3], true],
    ['3-D @ 2-D', [4], [], false],
    ['2-D @ 3-D', [], [2], false],
    ['4-D @ 2-D', [2, 2], [], false],
    ['4-D @ [1,1,..]', [2, 2], [1, 1], false],
  ];
  for (const [name, batchA, batchB, grads] of layouts) {
    for (const [ta, tb] of flags) {
      it(`${name} transposeA=${ta} transposeB=${tb}: forward${grads ? ' and gradients' : ''} match cpu`, async () => {
        const [as, bs] = shapes(5, 7, 6, ta, tb, batchA, batchB);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb);
        await expectSameAsCpu([rand(as, 11), rand(bs, 12)], grads ? withGrads(f) : f);
      });
    }
  }

  it('rejects mismatched inner dims like the stock kernel, without leaking', () => {
    const [a, b] = [rand([3, 5, 7], 17), rand([3, 6, 7], 18)];
    expectNoLeaks(() => expect(() => tf.matMul(a, b, true, false)).toThrow(/inner shapes/));
    tf.dispose([a, b]);
  });

  it('tfjs-core limitation: gradients of a batch-broadcasting matMul fail on every backend', async () => {
    await initBackend('cpu');
    const grad = () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.matMul(a, b)))([tf.ones([4, 5, 7]), tf.ones([7, 6])]);
    expect(() => tf.tidy(grad)).toThrow(/does not match the shape/);
    await initBackend('wasm');
  });

  it('handles size-1 dims (vectors) under transposes', async () => {
    await expectSameAsCpu([rand([1, 8], 13), rand([5, 8], 14)], withGrads((a, b) => tf.matMul(a, b, false, true)));
    await expectSameAsCpu([rand([8, 1], 15), rand([8, 1], 16)], withGrads((a, b) => tf.matMul(a, b, true, false)));
  });

  it('_FusedMatMul with bias and relu, transposed, matches cpu', async () => {
    for (const [ta, tb] of flags) {
      const [as, bs] = shapes(4, 6, 5, ta, tb, [3], [3]);
      const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation: 'relu' });
      await expectSameAsCpu([rand(as, 21), rand(bs, 22), rand([5], 23)], withGrads(f as (...xs: tf.Tensor[]) => tf.Tensor));
      const [as2, bs2] = shapes(4, 6, 5, ta, tb, [2], []);
      await expectSameAsCpu([rand(as2, 24), rand(bs2, 25), rand([5], 26)], f as (...xs: tf.Tensor[]) => tf.Tensor);
    }
  });

  it('x @ W^T with few rows (computed as (W @ x^T)^T) matches cpu, forward and gradients', async () => {
    // rows * (2k + n) < 2nk: the transposed-product path; the shapes above never take it.
    const x2 = rand([4, 16], 41);
    const x3 = rand([3, 4, 16], 42);
    const w = rand([24, 16], 43);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, false, true);
    await expectSameAsCpu([x2, w], withGrads(f));
    await expectSameAsCpu([x3, w], f);
    const relu = (a: tf.Tensor, b: tf.Tensor) => tf.fused.matMul({ a, b, transposeB: true, activation: 'relu' });
    await expectSameAsCpu([x3, w], relu);
    const withBias = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.fused.matMul({ a, b, transposeB: true, bias });
    await expectSameAsCpu([x3, w, rand([24], 44)], withBias as (...xs: tf.Tensor[]) => tf.Tensor);
    expectNoLeaks(() => {
      f(x3, w).dispose();
      tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(f(a, b)))([x2, w]));
    });
    tf.dispose([x2, x3, w]);
  });

  it('leaks no tensors and no heap buffers', () => {
    const a = rand([3, 5, 7], 31);
    const b = rand([3, 6, 7], 32);
    const w = rand([6, 7], 33);
    expectNoLeaks(() => {
      tf.matMul(a, b, false, true).dispose();
      tf.matMul(a, w, false, true).dispose();
      tf.matMul(b, a, false, true).dispose();
      tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, false, true)))([a, b]));
    });
    tf.dispose([a, b, w]);
  });

  it('is idempotent', () => {
    const kernel = tf.getKernel('BatchMatMul', 'wasm');
    expect(wrapWasmMatMul('BatchMatMul')).toBe(true);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(kernel);
  });
});

describe('a LLaMA-like forward + backward (wasm vs cpu)', () => {
  it('matches cpu, every gradient available, no leaks', async () => {
    const [T, D, V, H] = [6, 8, 13, 2];
    const emb = rand([V, D], 41);
    const wqkv = rand([3 * D, D], 42);
    const wo = rand([D, D], 43);
    const norm = tf.add(rand([D], 44), 1);
    const ids = tf.tensor1d([1, 4, 4, 7, 12, 0], 'int32');
    const targets = tf.tensor1d([4, 4, 7, 12, 0, 3], 'int32');
    const model = (e: tf.Tensor, w: tf.Tensor, o: tf.Tensor, g: tf.Tensor) => {
      let x = tf.gather(e, ids); // T,D
      x = tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-5))), g);
      const [q, k, v] = tf.split(tf.matMul(x, w, false, true), 3, 1).map((t) => tf.transpose(tf.reshape(t, [T, H, D / H]), [1, 0, 2]));
      const half = D / H / 2;
      const qr = tf.concat([tf.neg(tf.slice(q, [0, 0, half], [-1, -1, -1])), tf.slice(q, [0, 0, 0], [-1, -1, half])], -1);
      const causal = tf.cast(tf.linalg.bandPart(tf.ones([T, T]), -1, 0), 'bool');
      const scores = tf.where(causal, tf.matMul(tf.add(q, qr), k, false, true), tf.fill([H, T, T], -1e9));
      const att = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [1, 0, 2]), [T, D]);
      const h = tf.add(x, tf.matMul(att, o, false, true));
      const act = tf.maximum(tf.mul(h, tf.sigmoid(h)), tf.exp(tf.neg(tf.tile(tf.slice(h, [0, 0], [T, 1]), [1, D]))));
      const logp = tf.logSoftmax(tf.matMul(act, e, false, true));
      return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.cast(tf.oneHot(targets, V), 'float32')), -1)));
    };
    const diff = await expectSameAsCpu([emb, wqkv, wo, norm], withGrads(model), 1e-3);
    console.log(`LLaMA-like graph, wasm vs cpu, max abs diff (loss and 4 gradients): ${diff.toExponential(2)}`);
    const params = [emb, wqkv, wo, norm];
    expectNoLeaks(() => tf.dispose(tf.grads((...p: tf.Tensor[]) => model(p[0], p[1], p[2], p[3]))(params)));
  });
});

describe('matmul timing (printed, not asserted)', () => {
  it('times the slow cases before and after', () => {
    const median = (f: () => tf.Tensor, reps = 3): number => {
      tf.tidy(() => void f().dataSync());
      const ms: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        tf.tidy(() => void f().dataSync());
        ms.push(performance.now() - t);
      }
      return ms.sort((x, y) => x - y)[Math.floor(reps / 2)];
    };
    const cases: [string, number[], number[], boolean, boolean][] = [
      ['x @ W^T   [256,512]x[1024,512]^T', [256, 512], [1024, 512], false, true],
      ['dW        [512,256]^T x [512,1024]', [512, 256], [512, 1024], true, false],
      ['3-D x 2-D [4,64,512]x[512,1024]', [4, 64, 512], [512, 1024], false, false],
      ['q @ k^T   [16,128,64]x[16,128,64]^T', [16, 128, 64], [16, 128, 64], false, true],
    ];
    const lines: string[] = [];
    for (const [name, as, bs, ta, tb] of cases) {
      const [a, b] = [rand(as, 51), rand(bs, 52)];
      unwrapWasmMatMul('BatchMatMul');
      const before = median(() => tf.matMul(a, b, ta, tb));
      wrapWasmMatMul('BatchMatMul');
      const after = median(() => tf.matMul(a, b, ta, tb));
      const swap = (x: tf.Tensor) => tf.transpose(x, [...x.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : 2 * all.length - 3 - i)));
      const plain = median(() => tf.matMul(ta ? swap(a) : a, tb ? swap(b) : b));
      lines.push(`${name}: stock ${before.toFixed(1)} ms, wrapped ${after.toFixed(1)} ms (x${(before / after).toFixed(1)}), transpose+plain ${plain.toFixed(1)} ms`);
      tf.dispose([a, b]);
    }
    console.log(`wasm kernels, median of 3:\n  ${lines.join('\n  ')}`);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBeDefined();
  });
});
