/**
 * Wraps the wasm backend's `BatchMatMul` and `_FusedMatMul` kernels so every matmul takes
 * the fast path, whatever its transpose flags and batch shape.
 *
 * tfjs-backend-wasm (batch_mat_mul_impl.cc) uses XNNPACK only when neither transpose flag is
 * set and both operands have batch 1; everything else runs a scalar blocked loop that is
 * 10x slower or worse. Training is full of the slow cases: `x @ W^T`, and the default matMul
 * gradient, which sets transposeA or transposeB. The wrapper:
 *  - computes `x @ W^T` (unbatched W) as `(W @ x^T)^T` when that is cheaper (see viaTransposedProduct);
 *  - materialises a transposed operand with the backend's Transpose kernel, so XNNPACK runs;
 *  - folds a's batch into its rows when b has no batch (`[B,T,D] @ [D,N]` is one XNNPACK call);
 *  - for a batched b (attention), runs one XNNPACK matmul per batch on copied slices.
 * Temporaries are disposed before returning. Model code can call `tf.matMul(x, w, false, true)`.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, getKernel, registerKernel, unregisterKernel, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const WRAPPED = Symbol.for('hft.wasmMatMulWrapped');
type Wrapped = KernelConfig & { [WRAPPED]?: KernelConfig };

/** Kernels this module wraps on wasm. */
export const WRAPPED_MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

/** The operand with its last two axes swapped, as a new tensor (added to `temps` when given). */
function swapLastTwo(backend: BackendWasm, x: TensorInfo, temps?: TensorInfo[]): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  const transpose = getKernel('Transpose', 'wasm').kernelFunc;
  const out = transpose({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
  temps?.push(out);
  return out;
}

/**
 * `a @ b^T` with an unbatched b (a linear layer's `x @ W^T`), computed as `(b @ a^T)^T` when that
 * moves fewer elements. XNNPACK packs its b operand on every call (a new tensor each time), and
 * that packing reads b with a stride of a row, so it costs about as much as a transpose. The direct
 * way transposes W (n*k) and packs W^T (n*k); this way transposes a (rows*k), packs a^T (rows*k)
 * and transposes the [n, rows] result. With rows = B*T = 256 it is 15-40% faster on the weight
 * shapes of a small LLaMA; for large row counts the direct way wins, hence the test.
 */
function viaTransposedProduct(rows: number, k: number, n: number): boolean {
  return 2 * rows * k + rows * n < 2 * n * k;
}

const batchOf = (shape: number[]): number => util.sizeFromShape(shape.slice(0, -2));

/** Copies batch `i` of x (or its only batch) into a new rank-3 tensor [1, rows, cols]. */
function sliceBatch(backend: BackendWasm, x: TensorInfo, i: number): TensorInfo {
  const [rows, cols] = x.shape.slice(-2);
  const size = rows * cols;
  const from = batchOf(x.shape) === 1 ? 0 : i * size;
  const out = backend.makeOutput([1, rows, cols], x.dtype);
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(from, from + size));
  return out;
}

/**
 * A batched b: one XNNPACK matmul per batch on copied slices. The copies are O(MK + KN + MN)
 * against the matmul's O(MKN), and XNNPACK is ~15x faster than the scalar loop.
 */
function perBatch(
  original: KernelFunc,
  backend: BackendWasm,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
  outShape: number[],
): TensorInfo {
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const batch = util.sizeFromShape(outShape.slice(0, -2));
  const size = outShape[outShape.length - 2] * outShape[outShape.length - 1];
  const out = backend.makeOutput(outShape, a.dtype);
  try {
    for (let i = 0; i < batch; i++) {
      const slices = [sliceBatch(backend, a, i), sliceBatch(backend, b, i)];
      try {
        slices.push(original({ inputs: { ...inputs, a: slices[0], b: slices[1] }, backend, attrs }) as TensorInfo);
        // Views are taken after every allocation: a heap growth detaches older ones.
        backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(slices[2]).subarray(0, size), i * size);
      } finally {
        for (const t of slices) backend.disposeData(t.dataId);
      }
    }
  } catch (err) {
    backend.disposeData(out.dataId);
    throw err;
  }
  return out;
}

/** A kernelFunc that calls `original` on fast-path operands; `wrapWasmMatMul` installs it. */
function fastMatMulKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const attrs = (args.attrs ?? {}) as NamedAttrMap;
    let a = args.inputs.a as TensorInfo;
    let b = args.inputs.b as TensorInfo;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    const [m, k] = transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
    const [kB, n] = transposeB ? b.shape.slice(-2).reverse() : b.shape.slice(-2);
    util.assert(k === kB, () => `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ` +
      `${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
    const outBatch = backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batchA = batchOf(a.shape);
    const batchB = batchOf(b.shape);
    const temps: TensorInfo[] = [];
    try {
      const rows = batchA * m;
      const elementwiseOnly = args.inputs.bias == null && args.inputs.preluActivationWeights == null;
      if (!transposeA && transposeB && batchB === 1 && elementwiseOnly && viaTransposedProduct(rows, k, n)) {
        // out^T [n, rows] = b [n, k] @ a^T [k, rows]; a's batch folds into its rows (no copy).
        const aT = swapLastTwo(backend, { dataId: a.dataId, shape: [1, rows, k], dtype: a.dtype }, temps);
        const bFlat = { dataId: b.dataId, shape: [1, n, k], dtype: b.dtype };
        const flat = { ...attrs, transposeA: false, transposeB: false };
        const outT = original({ inputs: { ...args.inputs, a: bFlat, b: aT }, backend, attrs: flat }) as TensorInfo;
        temps.push(outT);
        const out = swapLastTwo(backend, outT);
        out.shape = [...outBatch, m, n];
        return out;
      }
      if (transposeA) a = swapLastTwo(backend, a, temps);
      if (transposeB) b = swapLastTwo(backend, b, temps);
      const flat = { ...attrs, transposeA: false, transposeB: false };
      const broadcastsBoth = batchA > 1 && batchB > 1 && batchA !== batchB; // stock kernel rejects it
      if (batchB > 1 && !broadcastsBoth && args.inputs.preluActivationWeights == null) {
        return perBatch(original, backend, { ...args.inputs, a, b }, flat, [...outBatch, m, n]);
      }
      if (batchA > 1 && batchB === 1) {
        // Fold the batch into the rows: one XNNPACK call. Same data, so no copy.
        a = { dataId: a.dataId, shape: [1, batchA * m, k], dtype: a.dtype };
      }
      const out = original({ inputs: { ...args.inputs, a, b }, backend, attrs: flat }) as TensorInfo;
      out.shape = [...outBatch, m, n];
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * Replaces the registered wasm kernel `kernelName` with the fast wrapper. Idempotent: a kernel
 * already wrapped is left alone. Returns false when the kernel is not registered.
 */
export function wrapWasmMatMul(kernelName: (typeof WRAPPED_MATMUL_KERNELS)[number]): boolean {
  const current = getKernel(kernelName, 'wasm') as Wrapped | undefined;
  if (current == null) return false;
  if (current[WRAPPED] != null) return true;
  const wrapped: Wrapped = { ...current, kernelFunc: fastMatMulKernel(current.kernelFunc), [WRAPPED]: current };
  unregisterKernel(kernelName, 'wasm');
  registerKernel(wrapped);
  return true;
}

/** Puts the original kernel back (for before/after benchmarks). */
export function unwrapWasmMatMul(kernelName: (typeof WRAPPED_MATMUL_KERNELS)[number]): void {
  const current = getKernel(kernelName, 'wasm') as Wrapped | undefined;
  const original = current?.[WRAPPED];
  if (original == null) return;
  unregisterKernel(kernelName, 'wasm');
  registerKernel(original);
}
