/**
 * Writes one .safetensors file, tensor by tensor, crash-safe.
 *
 * Header: compact JSON like the reference's serde_json output (`__metadata__` first when given,
 * then the tensors in the caller's order, laid out contiguously in that order), padded with
 * spaces so the byte buffer starts 8-byte aligned. Data: each tensor's Float32Array is resolved
 * (lazy data is called only now), converted chunk by chunk and written with writeSync, so memory
 * holds one tensor at a time. Written through atomic-write.ts: a crash never leaves half a file.
 */
import { writeAtomic } from './atomic-write.js';
import { dtypeByteSize, encodeFromFloat32, HOST_IS_LITTLE_ENDIAN, type FloatDtype } from './dtypes.js';
import { quote, SafetensorsError } from './errors.js';
import { MAX_HEADER_SIZE } from './header.js';

export interface TensorToWrite {
  name: string;
  shape: number[];
  /** The values, row-major; a function is called once, when this tensor is written. */
  data: Float32Array | (() => Float32Array);
  /** Stored dtype of this tensor, overriding the file's (mixed-dtype checkpoints keep each tensor's own). */
  dtype?: FloatDtype;
}

export interface WriteOptions {
  /** Stored dtype; default F32. */
  dtype?: FloatDtype;
  /** The `__metadata__` map; omitted from the header when not given. */
  metadata?: Record<string, string>;
}

const CHUNK = 1 << 20; // elements converted per writeSync: 2-4 MiB of scratch

export function writeSafetensors(path: string, tensors: TensorToWrite[], opts: WriteOptions = {}): void {
  const dtype = opts.dtype ?? 'F32';
  const header = buildHeader(path, tensors, dtype, opts.metadata);
  if (!HOST_IS_LITTLE_ENDIAN) throw new SafetensorsError('UNSUPPORTED_DTYPE', path, 'writing needs a little-endian host');

  writeAtomic(path, (write) => {
    write(header);
    for (const t of tensors) {
      const data = typeof t.data === 'function' ? t.data() : t.data;
      const numel = t.shape.reduce((a, b) => a * b, 1);
      if (!(data instanceof Float32Array) || data.length !== numel) {
        const got = data instanceof Float32Array ? `${data.length} values` : 'not a Float32Array';
        throw new SafetensorsError('INVALID_TENSOR_VIEW', path,
          `tensor ${quote(t.name)} of shape [${t.shape.join(',')}] needs ${numel} float32 values, got ${got}`);
      }
      const stored = t.dtype ?? dtype;
      for (let i = 0; i < numel; i += CHUNK) write(encodeFromFloat32(data.subarray(i, Math.min(i + CHUNK, numel)), stored));
    }
  });
}

/** Bytes a tensor of `shape` takes when stored as `dtype`; validates the shape. */
export function tensorByteLength(file: string, t: Pick<TensorToWrite, 'name' | 'shape' | 'dtype'>, fileDtype: FloatDtype): number {
  const dtype = t.dtype ?? fileDtype;
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError('INVALID_TENSOR_VIEW', file, `tensor ${quote(t.name)}: shape must be an array of non-negative integers`);
  }
  const bytes = t.shape.reduce((a, b) => a * b, dtypeByteSize(dtype));
  if (!Number.isSafeInteger(bytes)) throw new SafetensorsError('VALIDATION_OVERFLOW', file, `tensor ${quote(t.name)} is too large`);
  return bytes;
}

/** 8-byte little-endian length + the padded header JSON. Validates names and shapes. */
export function buildHeader(file: string, tensors: TensorToWrite[], dtype: FloatDtype, metadata?: Record<string, string>): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError('INVALID_HEADER_DESERIALIZATION', file, `metadata value of ${quote(k)} must be a string`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name === '__metadata__') {
      throw new SafetensorsError('INVALID_TENSOR_NAME', file, `invalid tensor name ${quote(String(t.name))}`);
    }
    if (seen.has(t.name)) throw new SafetensorsError('DUPLICATE_TENSOR', file, `tensor ${quote(t.name)} given twice`);
    seen.add(t.name);
    const n = tensorByteLength(file, t, dtype);
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype ?? dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + n}]}`);
    offset += n;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8; // data then starts at 8 + padded ≡ 0 (mod 8)
  if (padded > MAX_HEADER_SIZE) {
    throw new SafetensorsError('HEADER_TOO_LARGE', file, `header would be ${padded} bytes, over the ${MAX_HEADER_SIZE}-byte limit`);
  }
  const out = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
