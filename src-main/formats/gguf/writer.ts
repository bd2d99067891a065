/**
 * The GGUF v3 container (ggml docs/gguf.md), little-endian: header, typed key/value metadata,
 * tensor infos, then each tensor's data at an offset aligned to ALIGNMENT bytes from the start of
 * the data section, zero padding between. Knows nothing of models: keys, names and bytes come
 * from the caller.
 *
 * The whole header is computable before any tensor is read (offsets follow from the byte sizes),
 * so the file is streamed: header first, then each tensor's bytes as its producer emits them. The
 * file is written crash-safe (temp file, fsync, rename); any failure leaves no file at `path`.
 */
import { writeFileAtomic } from '../atomic-file.js';
import { GgufError, isFsError, writeFailure } from './errors.js';

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const GGUF_VERSION = 3;
export const ALIGNMENT = 32; // general.alignment; ggml's default
/** ggml's GGML_MAX_NAME: a tensor name must be shorter (the C struct keeps a NUL). */
const MAX_TENSOR_NAME_BYTES = 63;

/** gguf_metadata_value_type */
const VALUE_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

/** One metadata value with its GGUF type; arrays are of one element type. */
export type GgufValue =
  | { type: 'uint32'; value: number }
  | { type: 'int32'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'int32[]'; value: ArrayLike<number> }
  | { type: 'float32[]'; value: ArrayLike<number> };

export type GgufKv = readonly [key: string, value: GgufValue];

/** A tensor to write: its info, and a producer that emits exactly `byteLength` bytes. */
export interface GgufTensorOut {
  name: string;
  /** ggml order: ne[0] (the contiguous one) first, i.e. the reversed numpy shape. */
  dims: number[];
  /** ggml_type: 0 F32, 1 F16, 8 Q8_0, ... */
  ggmlType: number;
  byteLength: number;
  /** Called once, in file order, when this tensor's turn comes. */
  produce: (write: (bytes: Uint8Array) => void) => void;
}

const alignUp = (n: number, a: number = ALIGNMENT): number => Math.ceil(n / a) * a;

const utf8 = new TextEncoder();

/** Growable little-endian byte buffer for the header. */
class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** gguf_string_t: uint64 byte length, then UTF-8 without NUL (at most 3 bytes per UTF-16 unit). */
  str(s: string): void {
    this.reserve(8 + 3 * s.length);
    const { written } = utf8.encodeInto(s, this.buf.subarray(this.length + 8));
    this.view.setBigUint64(this.length, BigInt(written), true);
    this.length += 8 + written;
  }
  padTo(a: number): void {
    const n = alignUp(this.length, a) - this.length;
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function checkInt(key: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new GgufError(`metadata ${key}: ${v} does not fit its integer type`);
}

function putValue(out: ByteSink, key: string, v: GgufValue): void {
  switch (v.type) {
    case 'uint32':
      checkInt(key, v.value, 0, 0xffffffff);
      out.u32(VALUE_TYPE.UINT32);
      out.u32(v.value);
      return;
    case 'int32':
      checkInt(key, v.value, -0x80000000, 0x7fffffff);
      out.u32(VALUE_TYPE.INT32);
      out.i32(v.value);
      return;
    case 'float32':
      out.u32(VALUE_TYPE.FLOAT32);
      out.f32(v.value);
      return;
    case 'bool':
      out.u32(VALUE_TYPE.BOOL);
      out.u8(v.value ? 1 : 0);
      return;
    case 'string':
      out.u32(VALUE_TYPE.STRING);
      out.str(v.value);
      return;
    case 'string[]':
      out.u32(VALUE_TYPE.ARRAY);
      out.u32(VALUE_TYPE.STRING);
      out.u64(v.value.length);
      for (const s of v.value) out.str(s);
      return;
    case 'int32[]':
      out.u32(VALUE_TYPE.ARRAY);
      out.u32(VALUE_TYPE.INT32);
      out.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) {
        checkInt(key, v.value[i], -0x80000000, 0x7fffffff);
        out.i32(v.value[i]);
      }
      return;
    case 'float32[]':
      out.u32(VALUE_TYPE.ARRAY);
      out.u32(VALUE_TYPE.FLOAT32);
      out.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) out.f32(v.value[i]);
      return;
  }
}

/** Keys: ASCII, at most 65535 bytes, unique (gguf.md "gguf_metadata_kv_t"). */
function checkKeys(kv: readonly GgufKv[]): void {
  const seen = new Set<string>();
  for (const [key] of kv) {
    if (key === '' || key.length > 65535 || !/^[\x20-\x7e]+$/.test(key)) {
      throw new GgufError(`metadata key ${JSON.stringify(key)} is not a valid GGUF key (printable ASCII, 1 to 65535 bytes)`);
    }
    if (seen.has(key)) throw new GgufError(`metadata key ${key} is given twice`);
    seen.add(key);
  }
}

function checkTensors(tensors: readonly GgufTensorOut[]): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (utf8.encode(t.name).length > MAX_TENSOR_NAME_BYTES) throw new GgufError(`tensor name ${t.name} is longer than ${MAX_TENSOR_NAME_BYTES} bytes`);
    if (seen.has(t.name)) throw new GgufError(`tensor ${t.name} is given twice`);
    seen.add(t.name);
    if (t.dims.length < 1 || t.dims.length > 4 || !t.dims.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new GgufError(`tensor ${t.name}: dimensions [${t.dims.join(', ')}] must be 1 to 4 positive integers`);
    }
  }
}

/**
 * Header bytes (magic .. tensor infos .. padding to ALIGNMENT) and where each tensor's data
 * starts, relative to the data section.
 */
function encodeHeader(kv: readonly GgufKv[], tensors: readonly GgufTensorOut[]): { header: Uint8Array; offsets: number[] } {
  checkKeys(kv);
  checkTensors(tensors);
  const out = new ByteSink();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(tensors.length);
  out.u64(kv.length);
  for (const [key, value] of kv) {
    out.str(key);
    putValue(out, key, value);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(t.ggmlType);
    out.u64(offset);
    offsets.push(offset);
    offset += alignUp(t.byteLength);
  }
  out.padTo(ALIGNMENT);
  return { header: out.result(), offsets };
}

/**
 * Writes the file crash-safe. Returns its size in bytes. A producer that emits the wrong number
 * of bytes is a bug and throws; fs failures become GgufError in plain words; nothing is left at
 * `path` (nor a temp file) on any failure.
 */
export function writeGgufFile(path: string, kv: readonly GgufKv[], tensors: readonly GgufTensorOut[]): number {
  const { header } = encodeHeader(kv, tensors);
  let total = 0;
  try {
    writeFileAtomic(path, (write) => {
      write(header);
      total = header.length;
      for (const t of tensors) {
        let n = 0;
        t.produce((bytes) => {
          n += bytes.length;
          if (n > t.byteLength) throw new Error(`tensor ${t.name}: producer wrote more than ${t.byteLength} bytes`);
          write(bytes);
        });
        if (n !== t.byteLength) throw new Error(`tensor ${t.name}: producer wrote ${n} bytes, expected ${t.byteLength}`);
        // gguf-py pads after every tensor, the last one included.
        const pad = alignUp(n) - n;
        if (pad > 0) write(new Uint8Array(pad));
        total += n + pad;
      }
    });
  } catch (e) {
    // A failed read inside a producer is the source's problem, not the target's.
    throw isFsError(e) && e.syscall !== 'read' ? writeFailure(path, e) : e;
  }
  return total;
}
