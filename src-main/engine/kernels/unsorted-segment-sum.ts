/**
 * `UnsortedSegmentSum` for the wasm backend, which does not ship one.
 *
 * The gradient of stock `tf.gather` is `unsortedSegmentSum(dy, indices, numRows)`, so without it
 * no gather can be differentiated on wasm. HFT's own embedding lookup does not go through it (its
 * custom gradient in model.ts is a scatterND). The kernel runs in JS on the wasm heap:
 * out[s, ...] = sum of x[i, ...] over every i with segmentIds[i] = s. Ids outside
 * [0, numSegments) are dropped, as in TensorFlow.
 */
import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum (wasm): unsupported dtype ${x.dtype}`);
  }
  const idRank = segmentIds.shape.length;
  util.assert(
    util.arraysEqual(x.shape.slice(0, idRank), segmentIds.shape),
    () => `UnsortedSegmentSum: segmentIds shape ${segmentIds.shape} must prefix x shape ${x.shape}`,
  );
  const rows = util.sizeFromShape(segmentIds.shape);
  const inner = rows === 0 ? 0 : util.sizeFromShape(x.shape) / rows;
  // makeOutput may grow the heap and detach earlier views, so it comes first.
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const outVals = wasm.typedArrayFromHeap(out);
  const xVals = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  outVals.fill(0);
  for (let i = 0; i < rows; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
};

export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
