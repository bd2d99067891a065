/**
 * Tensor data encodings for GGUF: F32, F16 and Q8_0, as little-endian bytes, chunk by chunk.
 *
 * Q8_0 is bit-exact with gguf-py's `quants.py` (itself bit-exact with ggml's
 * `quantize_row_q8_0_ref`): blocks of 32 values along ne[0]; per block
 *   d  = max|x| / 127           (float32)
 *   id = d == 0 ? 0 : 1 / d     (float32)
 *   q  = round-half-away-from-zero(x * id)  (float32 product, then int8)
 * stored as 34 bytes: d as IEEE half (round to nearest even), then the 32 int8 q's. Note that q is
 * computed with the float32 d, not the rounded half. JS numbers are doubles, so every float32 step
 * is rounded with Math.fround; a double product/quotient of float32 inputs rounded once to
 * float32 equals the float32 operation (double has more than 2 x 24 + 2 bits).
 *
 * F16 is round-to-nearest-even (numpy's astype(float16)) via safetensors/dtypes.ts.
 */
import { f32BitsToF16Bits, HOST_IS_LITTLE_ENDIAN } from '../safetensors/dtypes.js';
import { GgufError } from './errors.js';

export type GgmlType = 'F32' | 'F16' | 'Q8_0';

/** ggml_type ids (ggml.h). */
export const GGML_TYPE_ID: Record<GgmlType, number> = { F32: 0, F16: 1, Q8_0: 8 };

export const Q8_0_BLOCK = 32; // values per block
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK; // f16 scale + 32 int8

/** Elements per emitted chunk: bounds the temporary byte buffer (~4 MiB for F32). */
const CHUNK_ELEMENTS = 1 << 20; // a multiple of Q8_0_BLOCK

/** Bytes of `n` elements in `type`. Q8_0 needs n % 32 == 0 (whole blocks). */
export function encodedByteLength(type: GgmlType, n: number): number {
  if (type === 'F32') return 4 * n;
  if (type === 'F16') return 2 * n;
  if (n % Q8_0_BLOCK !== 0) throw new GgufError(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${n}`);
  return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
}

/** Emits `data` encoded as `type`, in chunks of at most CHUNK_ELEMENTS values. */
export function encodeChunks(type: GgmlType, data: Float32Array, emit: (bytes: Uint8Array) => void, tensorName = 'tensor'): void {
  encodedByteLength(type, data.length); // validates Q8_0 block count
  for (let start = 0; start < data.length; start += CHUNK_ELEMENTS) {
    const part = data.subarray(start, Math.min(data.length, start + CHUNK_ELEMENTS));
    if (type === 'F32') emit(encodeF32(part));
    else if (type === 'F16') emit(encodeF16(part));
    else emit(quantizeQ8_0(part, tensorName));
  }
}

export function encodeF32(x: Float32Array): Uint8Array {
  // On a little-endian host the float32 bytes already are the file's bytes.
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const out = new Uint8Array(4 * x.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat32(4 * i, x[i], true);
  return out;
}

export function encodeF16(x: Float32Array): Uint8Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint8Array(2 * x.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setUint16(2 * i, f32BitsToF16Bits(bits[i]), true);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Q8_0 blocks of `x` (length a multiple of 32). Non-finite values are refused: numpy's int8 cast
 * of NaN is undefined behaviour, so there is no reference result to match.
 */
export function quantizeQ8_0(x: Float32Array, tensorName = 'tensor'): Uint8Array {
  const nBlocks = encodedByteLength('Q8_0', x.length) / Q8_0_BLOCK_BYTES;
  const out = new Uint8Array(nBlocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < nBlocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const a = Math.abs(x[base + j]);
      if (!(a <= Number.MAX_VALUE)) {
        throw new GgufError(`${tensorName} holds ${x[base + j]} at element ${base + j}; a model with NaN or infinite weights cannot be quantized`);
      }
      if (a > amax) amax = a;
    }
    const d = Math.fround(amax / 127);
    const id = d === 0 ? 0 : Math.fround(1 / d);
    f32[0] = d;
    const o = b * Q8_0_BLOCK_BYTES;
    view.setUint16(o, f32BitsToF16Bits(u32[0]), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = Math.fround(x[base + j] * id);
      // Round half away from zero (gguf-py np_roundf, C roundf); |v| <= 127 + rounding.
      const q = v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
      view.setInt8(o + 2 + j, q);
    }
  }
  return out;
}
