/**
 * Malformed-file cases for the safetensors reader.
 *
 * The first block ports the reference suite's cases (huggingface/safetensors:
 * safetensors/src/tensor.rs `mod tests`, bindings/python/tests/test_pread_backend.py), each
 * built from the same bytes and expecting the mirror of the same SafeTensorError variant. The
 * rest are our own: duplicate names, wrong JSON shapes, the 10 GB header, truncation and
 * byte-flip fuzzing (always a SafetensorsError, never a crash or hang).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SafetensorsError,
  SafetensorsFile,
  writeSafetensors,
  type SafetensorsErrorCode,
} from '../../src-main/formats/safetensors/index.js';

// Counts the bytes the reader pulls from disk, to prove a huge header is refused unread.
const io = vi.hoisted(() => ({ bytesRead: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readSync = ((...args: Parameters<typeof fs.readSync>) => {
    const n = (fs.readSync as (...a: unknown[]) => number)(...args);
    io.bytesRead += n;
    return n;
  }) as typeof fs.readSync;
  return { ...fs, default: { ...fs, readSync }, readSync };
});

const dir = mkdtempSync(join(tmpdir(), 'st-malformed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** Bytes from a Rust/Python-style byte string (`\x00` escapes; every char is one byte). */
function b(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

function fileOf(bytes: Uint8Array): string {
  const p = join(dir, `case-${counter++}.safetensors`);
  writeFileSync(p, bytes);
  return p;
}

function load(bytes: Uint8Array): SafetensorsFile {
  return SafetensorsFile.open(fileOf(bytes));
}

function codeOf(bytes: Uint8Array): SafetensorsErrorCode | 'ok' {
  let f: SafetensorsFile;
  try {
    f = load(bytes);
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toContain(e.file);
    return e.code;
  }
  f.close();
  return 'ok';
}

const ZEROS16 = '\x00'.repeat(16);
const I32_2x2 = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';

describe('ported from huggingface/safetensors', () => {
  it('test_empty_shapes_allowed: shape [] is a scalar of one element', () => {
    const f = load(b('8\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}\x00\x00\x00\x00'));
    expect(f.tensors.map((t) => t.name)).toEqual(['test']);
    expect(f.info('test')).toMatchObject({ dtype: 'I32', shape: [], byteLength: 4 });
    expect(Array.from(f.readFloat32('test'))).toEqual([0]);
    f.close();
  });

  it('test_deserialization: I32 [2,2] of zeros', () => {
    const f = load(b(`<\x00\x00\x00\x00\x00\x00\x00${I32_2x2}${ZEROS16}`));
    expect(f.tensors).toEqual([{ name: 'test', dtype: 'I32', shape: [2, 2], byteOffset: 8 + 60, byteLength: 16 }]);
    expect(Array.from(f.readFloat32('test'))).toEqual([0, 0, 0, 0]);
    f.close();
  });

  it('test_lifetimes: data read before close stays valid after it', () => {
    const f = load(b(`<\x00\x00\x00\x00\x00\x00\x00${I32_2x2}${ZEROS16}`));
    const data = f.readFloat32('test');
    f.close();
    expect(Array.from(data)).toEqual([0, 0, 0, 0]);
    expect(() => f.readFloat32('test')).toThrowError(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('test_json_attack: ten tensors all claiming [0,16] -> InvalidOffset', () => {
    const entries = Array.from({ length: 10 }, (_, i) => `"weight_${i}":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`);
    const header = b(`{${entries.join(',')}}`);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    expect(codeOf(Buffer.concat([len, header, b(ZEROS16)]))).toBe('INVALID_OFFSET');
  });

  it('test_metadata_incomplete_buffer: trailing bytes, and missing bytes', () => {
    const polyglot = b(`<\x00\x00\x00\x00\x00\x00\x00${I32_2x2}${ZEROS16}extra_bogus_data_for_polyglot_file`);
    expect(codeOf(polyglot)).toBe('METADATA_INCOMPLETE_BUFFER');
    const short = b(`<\x00\x00\x00\x00\x00\x00\x00${I32_2x2}${'\x00'.repeat(14)}`); // missing 2 bytes
    expect(codeOf(short)).toBe('METADATA_INCOMPLETE_BUFFER');
  });

  it('test_header_too_large', () => {
    expect(codeOf(b(`<\x00\x00\x00\x00\xff\xff\xff${I32_2x2}${ZEROS16}`))).toBe('HEADER_TOO_LARGE');
  });

  it('test_header_too_small: empty file', () => {
    expect(codeOf(b(''))).toBe('HEADER_TOO_SMALL');
  });

  it('test_invalid_header_length: length prefix with no header', () => {
    expect(codeOf(b('<\x00\x00\x00\x00\x00\x00\x00'))).toBe('INVALID_HEADER_LENGTH');
  });

  it('test_invalid_header_non_utf8', () => {
    expect(codeOf(b('\x01\x00\x00\x00\x00\x00\x00\x00\xff'))).toBe('INVALID_HEADER');
  });

  it('test_invalid_header_not_json', () => {
    expect(codeOf(b('\x01\x00\x00\x00\x00\x00\x00\x00{'))).toBe('INVALID_HEADER_DESERIALIZATION');
  });

  it('test_whitespace_padded_header: trailing JSON whitespace is fine', () => {
    const f = load(b('\x06\x00\x00\x00\x00\x00\x00\x00{}\x0D\x20\x09\x0A'));
    expect(f.tensors).toEqual([]);
    f.close();
  });

  it('test_whitespace_leading_padded_header: leading JSON whitespace is fine (upstream #686)', () => {
    const f = load(b('\x06\x00\x00\x00\x00\x00\x00\x00\x09\x0A{}\x0D\x20'));
    expect(f.tensors).toEqual([]);
    f.close();
  });

  it('test_zero_sized_tensor: shape [2,0] with data_offsets [0, 0]', () => {
    const f = load(b('<\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}'));
    expect(f.info('test')).toMatchObject({ shape: [2, 0], dtype: 'I32', byteLength: 0 });
    expect(f.readFloat32('test')).toEqual(new Float32Array(0));
    f.close();
  });

  it('test_invalid_info: [2,2] I32 with 4 bytes of offsets -> TensorInvalidInfo', () => {
    expect(codeOf(b('<\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}'))).toBe('TENSOR_INVALID_INFO');
  });

  it('test_validation_overflow: shape product, then byte size, overflow u64', () => {
    const a = b(`O\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}${ZEROS16}`);
    expect(codeOf(a)).toBe('VALIDATION_OVERFLOW');
    const c = b(`N\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}${ZEROS16}`);
    expect(codeOf(c)).toBe('VALIDATION_OVERFLOW');
  });

  it('test_invalid_header_size_serialization: the writer refuses a header over 100 MB', () => {
    const p = join(dir, 'huge-meta.safetensors');
    expect(() => writeSafetensors(p, [], { metadata: { very_large_metadata: 'a'.repeat(100_000_000) } }))
      .toThrowError(expect.objectContaining({ code: 'HEADER_TOO_LARGE' }));
  });

  it('test_pread_backend.test_truncated_header_is_rejected: half a header', () => {
    const header = b(I32_2x2);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    expect(codeOf(Buffer.concat([len, header.subarray(0, header.length >> 1)]))).toBe('INVALID_HEADER_LENGTH');
  });

  it('test_pread_backend.test_data_offset_overflow_is_rejected: 4 MiB claimed, 1 byte present', () => {
    const header = b('{"liar":{"dtype":"F32","shape":[1024,1024],"data_offsets":[0,4194304]}}');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    expect(codeOf(Buffer.concat([len, header, b('\x00')]))).toBe('METADATA_INCOMPLETE_BUFFER');
  });
});

/** A valid file around a header string (length prefix computed), followed by `data`. */
function withHeader(json: string, data = ''): Buffer {
  const header = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, b(data)]);
}

describe('header validation (ours)', () => {
  it.each<[string, string, string, SafetensorsErrorCode]>([
    ['duplicate tensor name', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', '\x00'.repeat(8), 'DUPLICATE_TENSOR'],
    ['duplicate name spelled with an escape', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', '\x00'.repeat(8), 'DUPLICATE_TENSOR'],
    ['duplicate __metadata__', '{"__metadata__":{},"__metadata__":{}}', '', 'DUPLICATE_TENSOR'],
    ['duplicate field inside an entry', '{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}', '\x00'.repeat(4), 'INVALID_HEADER_DESERIALIZATION'],
    ['unknown dtype', '{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}', '\x00', 'UNKNOWN_DTYPE'],
    ['lower-case dtype', '{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', '\x00'.repeat(4), 'UNKNOWN_DTYPE'],
    ['dtype missing', '{"a":{"shape":[1],"data_offsets":[0,4]}}', '\x00'.repeat(4), 'INVALID_HEADER_DESERIALIZATION'],
    ['negative dimension', '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', '\x00'.repeat(4), 'INVALID_HEADER_DESERIALIZATION'],
    ['fractional dimension', '{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', '\x00'.repeat(4), 'INVALID_HEADER_DESERIALIZATION'],
    ['string dimension', '{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}', '\x00'.repeat(4), 'INVALID_HEADER_DESERIALIZATION'],
    ['shape not an array', '{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}', '\x00'.repeat(4), 'INVALID_HEADER_DESERIALIZATION'],
    ['three offsets', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', '\x00'.repeat(4), 'INVALID_HEADER_DESERIALIZATION'],
    ['negative offset', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['begin > end', '{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,0]}}', '', 'INVALID_OFFSET'],
    ['gap between tensors', '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}}', '\x00'.repeat(12), 'INVALID_OFFSET'],
    ['overlapping tensors', '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}', '\x00'.repeat(6), 'INVALID_OFFSET'],
    ['not starting at 0', '{"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}', '\x00'.repeat(8), 'INVALID_OFFSET'],
    ['offset beyond 2^53', '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,9007199254740993]}}', '', 'INVALID_OFFSET'],
    ['entry is not an object', '{"a":[1,2]}', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['entry is null', '{"a":null}', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['metadata value not a string', '{"__metadata__":{"n":1}}', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['metadata not an object', '{"__metadata__":"pt"}', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['header is an array', '[]', '', 'INVALID_HEADER_START'],
    ['header is a string', '"x"', '', 'INVALID_HEADER_START'],
    ['header starts with a BOM', '\ufeff{}', '', 'INVALID_HEADER_START'],
    ['empty header', '', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['whitespace-only header', '        ', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['NUL padding (not JSON whitespace)', '{}\x00\x00', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['trailing garbage after the object', '{} {}', '', 'INVALID_HEADER_DESERIALIZATION'],
    ['huge dimension times zero', '{"a":{"dtype":"F32","shape":[0,9007199254740993],"data_offsets":[0,0]}}', '', 'VALIDATION_OVERFLOW'],
  ])('%s -> %s', (_label, json, data, code) => {
    expect(codeOf(withHeader(json, data))).toBe(code);
  });

  it('accepts __metadata__: null and ignores unknown entry fields, as serde does', () => {
    const f = load(withHeader('{"__metadata__":null,"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":true}}', '\x01\x02'));
    expect(f.metadata).toEqual({});
    expect(Array.from(f.readFloat32('a'))).toEqual([1, 2]);
    f.close();
  });

  it('names holding quotes, braces, commas and escapes are not mistaken for duplicates', () => {
    const json = JSON.stringify({
      'a"}': { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
      'a\\': { dtype: 'U8', shape: [1], data_offsets: [1, 2] },
      '{"a":1},': { dtype: 'U8', shape: [1], data_offsets: [2, 3] },
      a: { dtype: 'U8', shape: [1], data_offsets: [3, 4], note: { a: ['a', { a: 'a' }] } },
    });
    const f = load(withHeader(json, '\x01\x02\x03\x04'));
    expect(f.tensors.map((t) => t.name)).toEqual(['a"}', 'a\\', '{"a":1},', 'a']);
    f.close();
  });

  it('a tensor named __proto__ is an ordinary tensor', () => {
    const f = load(withHeader('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', '\x07'));
    expect(Array.from(f.readFloat32('__proto__'))).toEqual([7]);
    f.close();
  });

  it('a missing file is an IO_ERROR SafetensorsError', () => {
    expect(() => SafetensorsFile.open(join(dir, 'nope.safetensors'))).toThrowError(expect.objectContaining({ code: 'IO_ERROR' }));
  });
});

describe('a header claiming 10 GB', () => {
  beforeEach(() => {
    io.bytesRead = 0;
  });

  it('(the read counter sees an ordinary open read the prefix and the header)', () => {
    const json = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    const p = fileOf(withHeader(json, '\x05'));
    io.bytesRead = 0;
    SafetensorsFile.open(p).close();
    expect(io.bytesRead).toBe(8 + json.length); // and not the data byte
  });

  it('is refused after reading only the 8-byte length', () => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(10_000_000_000n);
    const p = fileOf(Buffer.concat([len, b('{"a":1}'.repeat(10))]));
    io.bytesRead = 0;
    expect(() => SafetensorsFile.open(p)).toThrowError(expect.objectContaining({ code: 'HEADER_TOO_LARGE' }));
    expect(io.bytesRead).toBeLessThanOrEqual(8);
  });

  it('u64::MAX is refused the same way', () => {
    const p = fileOf(b('\xff\xff\xff\xff\xff\xff\xff\xff{}'));
    io.bytesRead = 0;
    expect(() => SafetensorsFile.open(p)).toThrowError(expect.objectContaining({ code: 'HEADER_TOO_LARGE' }));
    expect(io.bytesRead).toBeLessThanOrEqual(8);
  });

  it('a 90 MB claim on a tiny file is refused before allocating or reading the header', () => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(90_000_000n);
    const p = fileOf(Buffer.concat([len, b('{}')]));
    io.bytesRead = 0;
    expect(() => SafetensorsFile.open(p)).toThrowError(expect.objectContaining({ code: 'INVALID_HEADER_LENGTH' }));
    expect(io.bytesRead).toBeLessThanOrEqual(8);
  });
});

describe('fuzz: truncated and bit-flipped files', () => {
  // A small valid file with metadata and several dtypes.
  const src = join(dir, 'fuzz-src.safetensors');
  writeSafetensors(src, [
    { name: 'w', shape: [3, 2], data: new Float32Array([1, -2, 3.5, 0, 1e-8, 65504]) },
    { name: 'b', shape: [2], data: new Float32Array([0.25, -0.5]) },
    { name: 's', shape: [], data: new Float32Array([7]) },
  ], { dtype: 'BF16', metadata: { format: 'pt' } });
  const good = readFileSync(src);

  function mustFailCleanly(bytes: Uint8Array, allowOk: boolean): void {
    let f: SafetensorsFile | null = null;
    try {
      f = load(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(SafetensorsError);
      return;
    }
    expect(allowOk).toBe(true);
    for (const t of f.tensors) {
      try {
        f.readFloat32(t.name);
      } catch (e) {
        expect(e).toBeInstanceOf(SafetensorsError);
      }
    }
    f.close();
  }

  it('every truncation is a SafetensorsError', () => {
    for (let n = 0; n < good.length; n++) mustFailCleanly(good.subarray(0, n), false);
  });

  it('flipping any byte in the prefix or header never crashes', () => {
    const headerEnd = 8 + Number(good.readBigUInt64LE(0));
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < headerEnd; i++) {
      for (const mask of [0x01, 0x20, 0x80, 0xff, rand() | 1]) {
        const bad = Buffer.from(good);
        bad[i] ^= mask;
        mustFailCleanly(bad, true);
      }
    }
  });

  it('random header garbage of every length never crashes', () => {
    let seed = 99;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const alphabet = b('{}[]":,0123456789-eE. \\u"abdtypeshapdata_offsetsF32U8I64__metadata__');
    for (let len = 0; len < 120; len++) {
      for (let k = 0; k < 10; k++) {
        const header = Buffer.alloc(len);
        for (let i = 0; i < len; i++) header[i] = k % 2 === 0 ? alphabet[rand() % alphabet.length] : rand();
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(BigInt(len));
        mustFailCleanly(Buffer.concat([prefix, header, Buffer.alloc(rand() % 16)]), true);
      }
    }
  });
});
