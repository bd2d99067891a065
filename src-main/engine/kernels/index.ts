/**
 * Registers what HFT's training needs on top of stock tfjs, for the chosen backend.
 *
 * - every backend: tfjs-core's gradient functions (tfjs-core alone ships none; see core-gradients).
 * - wasm: `UnsortedSegmentSum`, the gradient of stock `tf.gather`, which wasm lacks (HFT's own
 *   embedding does not use it: model.ts gives the lookup a scatterND gradient), and the fast-path
 *   wrapper around `BatchMatMul` / `_FusedMatMul` (transposed and batched matmuls are 10-40x
 *   slower without it).
 * - webgpu: a clear error instead of "OffscreenCanvas is not defined" for `dataSync()` in Node.
 * - tensorflow, cpu: nothing else; they have every kernel a LLaMA forward and backward uses.
 *
 * Idempotent and cheap: every step checks whether it is already done.
 */
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend.js';
import { ensureCoreGradients } from './core-gradients.js';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum.js';
import { WRAPPED_MATMUL_KERNELS, wrapWasmMatMul } from './wasm-matmul.js';
import { patchWebgpuReadSync } from './webgpu-read-sync.js';

export { ensureCoreGradients, hasCoreGradients } from './core-gradients.js';

/** Kernels we register (not wrap) per backend, for tests and `hft probe`. */
export const ENGINE_KERNELS: Readonly<Record<BackendName, readonly string[]>> = {
  tensorflow: [],
  webgpu: [],
  wasm: [unsortedSegmentSumWasmConfig.kernelName],
  cpu: [],
};

/** Kernels we wrap per backend. */
export const WRAPPED_KERNELS: Readonly<Record<BackendName, readonly string[]>> = {
  tensorflow: [],
  webgpu: [],
  wasm: [...WRAPPED_MATMUL_KERNELS],
  cpu: [],
};

/** Registers our kernels and fixes for `backend` (call after it is initialised). */
export async function registerEngineKernels(backend: BackendName): Promise<void> {
  await ensureCoreGradients();
  if (backend === 'webgpu') patchWebgpuReadSync();
  if (backend === 'wasm') {
    if (getKernel(unsortedSegmentSumWasmConfig.kernelName, 'wasm') == null) {
      registerKernel(unsortedSegmentSumWasmConfig);
    }
    for (const name of WRAPPED_MATMUL_KERNELS) wrapWasmMatMul(name);
  }
}
