/**
 * A clear error for synchronous reads on webgpu in Node.
 *
 * tfjs-backend-webgpu implements `readSync` (behind `dataSync()`, `arraySync()`, `bufferSync()`)
 * with an OffscreenCanvas trick that only browsers have; in Node it dies with
 * "ReferenceError: OffscreenCanvas is not defined". WebGPU has no blocking readback, so the fix
 * is to read asynchronously (`await t.data()`, `await t.array()`); this patch says exactly that.
 * Tensors whose values are already on the CPU still read synchronously.
 */
import { type DataId, findBackend } from '@tensorflow/tfjs-core';

const PATCHED = Symbol.for('hft.webgpuReadSyncPatched');

interface WebGpuLike {
  readSync(dataId: DataId): unknown;
  tensorMap: { get(dataId: DataId): { values?: unknown; resource?: unknown } | undefined };
  [PATCHED]?: true;
}

export const WEBGPU_READ_SYNC_MESSAGE =
  'dataSync()/arraySync() cannot read a GPU tensor on the webgpu backend in Node (no synchronous ' +
  'GPU readback outside browsers); use `await tensor.data()` or `await tensor.array()`';

/** Patches the live webgpu backend instance, when there is one and OffscreenCanvas is missing. Idempotent. */
export function patchWebgpuReadSync(): boolean {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return false;
  const backend = findBackend('webgpu') as unknown as WebGpuLike | null;
  if (backend == null || backend[PATCHED]) return backend != null;
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: DataId) => {
    const data = backend.tensorMap.get(dataId);
    if (data != null && data.values == null && data.resource != null) throw new Error(WEBGPU_READ_SYNC_MESSAGE);
    return readSync(dataId);
  };
  backend[PATCHED] = true;
  return true;
}
