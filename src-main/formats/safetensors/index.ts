/**
 * Public API of the safetensors format: read and write `.safetensors` files and Hugging Face
 * model folders (single file or shards + index) as plain Float32Arrays. Knows nothing of tfjs.
 */
export { SafetensorsError, type SafetensorsErrorCode } from './errors.js';
export {
  DTYPES, dtypeByteSize, isDtype,
  f32BitsToF16Bits, f16BitsToF32, f32BitsToBf16Bits, bf16BitsToF32, f32ToBits,
  type Dtype, type FloatDtype,
} from './dtypes.js';
export { MAX_HEADER_SIZE, type TensorInfo } from './header.js';
export { SafetensorsFile } from './reader.js';
export { writeSafetensors, type TensorToWrite, type WriteOptions } from './writer.js';
export {
  openModelWeights, writeModelWeights, SINGLE_FILE, INDEX_FILE, DEFAULT_MAX_SHARD_BYTES,
  type ModelWeights, type WriteModelOptions,
} from './model-weights.js';
