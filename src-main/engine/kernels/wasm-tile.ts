/**
 * A faster `Tile` for the wasm backend.
 *
 * The stock wasm Tile is tfjs-backend-cpu's JS loop, which computes a multi-index per element:
 * tiling a [1,1,T,T] causal mask to [B,H,T,T] (what `tf.where` and `tf.broadcastTo` do) took
 * ~9% of a small LLaMA training step. This one copies whole rows with `TypedArray.set` and
 * replicates finished blocks with `copyWithin`. String tensors go to the stock kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo, TileAttrs } from '@tensorflow/tfjs-core';
import { Tile, getKernel, registerKernel, unregisterKernel, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Values = Float32Array | Int32Array | Uint8Array;

/** Writes x (shape `shape`) tiled by `reps` into `out`, which has the tiled shape. */
export function tileInto(x: Values, shape: number[], reps: number[], out: Values): void {
  const rank = shape.length;
  if (rank === 0) {
    out.set(x);
    return;
  }
  const xStrides = util.computeStrides(shape);
  const outStrides = util.computeStrides(shape.map((d, i) => d * reps[i]));
  const fill = (dim: number, src: number, dst: number): void => {
    if (dim === rank - 1) {
      const row = x.subarray(src, src + shape[dim]);
      for (let r = 0; r < reps[dim]; r++) out.set(row, dst + r * shape[dim]);
      return;
    }
    for (let i = 0; i < shape[dim]; i++) fill(dim + 1, src + i * xStrides[dim], dst + i * outStrides[dim]);
    const block = shape[dim] * outStrides[dim];
    for (let r = 1; r < reps[dim]; r++) out.copyWithin(dst + r * block, dst, dst + block);
  };
  fill(0, 0, 0);
}

/** A kernelFunc that tiles numeric tensors on the heap and hands strings to `original`. */
export function fastTileKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string' || x.dtype === 'complex64') return original(args);
    const backend = args.backend as BackendWasm;
    const { reps } = args.attrs as unknown as TileAttrs;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (util.sizeFromShape(outShape) === 0) return out;
    // Views after makeOutput: it may grow the heap and detach older views.
    tileInto(backend.typedArrayFromHeap(x) as Values, x.shape, reps, backend.typedArrayFromHeap(out) as Values);
    return out;
  };
}

const WRAPPED = Symbol.for('hft.wasmTileWrapped');
type Wrapped = KernelConfig & { [WRAPPED]?: KernelConfig };
const registered = () => getKernel(Tile, 'wasm') as Wrapped | undefined;

/** Replaces the wasm Tile kernel with the fast one. Idempotent; false when there is none. */
export function wrapWasmTile(): boolean {
  const current = registered();
  if (current == null) return false;
  if (current[WRAPPED] != null) return true;
  unregisterKernel(Tile, 'wasm');
  registerKernel({ ...current, kernelFunc: fastTileKernel(current.kernelFunc), [WRAPPED]: current } as Wrapped);
  return true;
}

/** Puts the stock kernel back (for before/after benchmarks). */
export function unwrapWasmTile(): void {
  const original = registered()?.[WRAPPED];
  if (original == null) return;
  unregisterKernel(Tile, 'wasm');
  registerKernel(original);
}
