/**
 * Parses and validates a safetensors JSON header, the way the reference crate does
 * (huggingface/safetensors, `SafeTensors::read_metadata` + `Metadata::validate`).
 *
 * Layout of a file: u64 little-endian N | N bytes of UTF-8 JSON | byte buffer. The JSON maps
 * tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte
 * buffer) plus an optional `__metadata__` string -> string map. Tensors sorted by begin must tile
 * the byte buffer exactly: contiguous from 0, no gaps, no overlaps, ending at its last byte.
 */
import { dtypeByteSize, isDtype, type Dtype } from './dtypes.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { quote, SafetensorsError, type SafetensorsErrorCode } from './errors.js';

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Absolute position of the tensor's first byte in the file. */
  byteOffset: number;
  byteLength: number;
}

export interface ParsedHeader {
  /** Sorted by byteOffset (the file's layout order). */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

/** The reference crate's limit; a header claiming more is refused before anything is read. */
export const MAX_HEADER_SIZE = 100_000_000;

const U64_MAX = (1n << 64n) - 1n;
const METADATA_KEY = '__metadata__';

interface RawEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * @param file       for error messages
 * @param bytes      the N header bytes
 * @param dataStart  8 + N: where the byte buffer starts in the file
 * @param dataLength file size - 8 - N
 */
export function parseHeader(file: string, bytes: Uint8Array, dataStart: number, dataLength: number): ParsedHeader {
  const fail: Fail = (code, reason) => new SafetensorsError(code, file, reason);

  let text: string;
  try {
    // ignoreBOM keeps a leading BOM in the text, so it is refused below rather than skipped.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw fail('INVALID_HEADER', 'header is not valid UTF-8');
  }

  // The spec says the header begins with `{`; like the reference crate (since #686) we accept
  // JSON whitespace before it, which writers may use as padding.
  const first = text.search(/[^ \t\n\r]/);
  if (first >= 0 && text[first] !== '{') {
    throw fail('INVALID_HEADER_START', `header must be a JSON object starting with '{', found ${quote(text[first])}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail('INVALID_HEADER_DESERIALIZATION', `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw fail('INVALID_HEADER_DESERIALIZATION', 'header is not a JSON object');
  }

  const dup = findDuplicateKey(text);
  if (dup !== null) {
    if (dup.depth === 1) throw fail('DUPLICATE_TENSOR', `header names ${quote(dup.key)} twice`);
    throw fail('INVALID_HEADER_DESERIALIZATION', `header has duplicate key ${quote(dup.key)} in a nested object`);
  }

  let metadata: Record<string, string> = {};
  const entries: RawEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, fail));
  }

  // Older writers ordered entries by name; the layout order is by offsets.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);

  const tensors: TensorInfo[] = [];
  let start = 0;
  for (const t of entries) {
    if (t.begin !== start || t.end < t.begin) {
      throw fail('INVALID_OFFSET', `invalid data_offsets [${t.begin}, ${t.end}] for tensor ${quote(t.name)}: tensors must be contiguous from 0`);
    }
    start = t.end;

    // Overflow-safe like the reference's checked usize arithmetic (on bits, as it counts them).
    let numel = 1n;
    for (const d of t.shape) {
      numel *= BigInt(d);
      if (numel > U64_MAX) throw fail('VALIDATION_OVERFLOW', `shape of tensor ${quote(t.name)} overflows`);
    }
    const bits = numel * BigInt(8 * dtypeByteSize(t.dtype));
    if (bits > U64_MAX) throw fail('VALIDATION_OVERFLOW', `byte size of tensor ${quote(t.name)} overflows`);
    if (!t.shape.every(Number.isSafeInteger)) {
      // Only reachable when another dimension is 0: JS cannot hold the dimension exactly.
      throw fail('VALIDATION_OVERFLOW', `shape of tensor ${quote(t.name)} has a dimension above 2^53`);
    }
    if (bits / 8n !== BigInt(t.end - t.begin)) {
      throw fail('TENSOR_INVALID_INFO',
        `tensor ${quote(t.name)}: ${t.dtype} shape [${t.shape.join(',')}] needs ${bits / 8n} bytes, data_offsets give ${t.end - t.begin}`);
    }
    tensors.push({ name: t.name, dtype: t.dtype, shape: t.shape, byteOffset: dataStart + t.begin, byteLength: t.end - t.begin });
  }

  if (start !== dataLength) {
    throw fail('METADATA_INCOMPLETE_BUFFER',
      `tensors cover ${start} bytes but the data section is ${dataLength} bytes (file truncated or has trailing bytes)`);
  }
  return { tensors, metadata };
}

type Fail = (code: SafetensorsErrorCode, reason: string) => SafetensorsError;

function parseMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === null) return {}; // serde reads `null` as "no metadata"
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw fail('INVALID_HEADER_DESERIALIZATION', '__metadata__ must be an object of strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') {
      throw fail('INVALID_HEADER_DESERIALIZATION', `__metadata__ value of ${quote(k)} must be a string, got ${typeName(v)}`);
    }
    out[k] = v;
  }
  return out;
}

function parseEntry(name: string, value: unknown, fail: Fail): RawEntry {
  const bad = (what: string) => fail('INVALID_HEADER_DESERIALIZATION', `tensor ${quote(name)}: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`entry must be an object, got ${typeName(value)}`);
  // Unknown extra fields are ignored, as serde does for this struct.
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;

  if (typeof dtype !== 'string') throw bad('missing or non-string "dtype"');
  if (!isDtype(dtype)) throw fail('UNKNOWN_DTYPE', `tensor ${quote(name)}: unknown dtype ${quote(dtype)}`);

  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw bad('"shape" must be an array of non-negative integers');
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw bad('"data_offsets" must be [begin, end] of non-negative integers');
  }
  const [begin, end] = offsets as [number, number];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end)) {
    throw fail('INVALID_OFFSET', `tensor ${quote(name)}: data_offsets beyond 2^53`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
