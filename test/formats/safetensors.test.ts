/**
 * Safetensors reader/writer: round trips, exact F16/BF16 rounding against hand-computed bit
 * patterns, byte-exact output against the reference crate's serialization tests, lazy data,
 * alignment, zero-sized and scalar shapes, crash safety. PyTorch cross-checks live in
 * safetensors-torch.test.ts, model folders in safetensors-model-weights.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  f16BitsToF32,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  SafetensorsFile,
  writeSafetensors,
  type TensorToWrite,
} from '../../src-main/formats/safetensors/index.js';
import { errorCodeOf } from './safetensors-error-code.js';

const root = mkdtempSync(join(tmpdir(), 'st-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const tmp = (ext = '.safetensors') => join(root, `t${counter++}${ext}`);

function fromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}
function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}
/** The stored bytes of one tensor, straight from disk. */
function storedU16(path: string, name: string): number[] {
  const f = SafetensorsFile.open(path);
  const t = f.info(name);
  f.close();
  const buf = readFileSync(path).subarray(t.byteOffset, t.byteOffset + t.byteLength);
  return Array.from({ length: t.byteLength / 2 }, (_, i) => buf.readUInt16LE(2 * i));
}
function hex(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}

describe('F32 round trip', () => {
  it('keeps every bit, including -0, ±inf, NaN payloads and f32 subnormals', () => {
    const bits = [0x3f800000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0xffa00000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x3dcccccd];
    const p = tmp();
    writeSafetensors(p, [{ name: 'x', shape: [2, 5], data: fromBits(bits) }]);
    const f = SafetensorsFile.open(p);
    expect(f.info('x')).toMatchObject({ dtype: 'F32', shape: [2, 5], byteLength: 40 });
    expect(bitsOf(f.readFloat32('x'))).toEqual(bits);
    f.close();
  });
});

// [input float32 bits, expected IEEE half bits], worked out by hand.
const F16_CASES: [number, number, string][] = [
  [0x3f800000, 0x3c00, '1'],
  [0xc0000000, 0xc000, '-2'],
  [0x3dcccccd, 0x2e66, '0.1f -> 0.0999755859375'],
  [0x477fe000, 0x7bff, '65504 = max half'],
  [0x477fef00, 0x7bff, '65519: below the tie'],
  [0x477ff000, 0x7c00, '65520: tie between 65504 (odd) and 65536 -> inf'],
  [0x7f7fffff, 0x7c00, 'max f32 overflows to inf'],
  [0x7f800000, 0x7c00, '+inf'],
  [0xff800000, 0xfc00, '-inf'],
  [0x00000000, 0x0000, '+0'],
  [0x80000000, 0x8000, '-0'],
  [0x33800000, 0x0001, '2^-24 = smallest subnormal'],
  [0x33000000, 0x0000, '2^-25: tie between 0 and 1 -> 0'],
  [0xb3000000, 0x8000, '-2^-25 -> -0'],
  [0x33400000, 0x0001, '1.5 * 2^-25: above the tie'],
  [0x33c00000, 0x0002, '3 * 2^-25 = 1.5 units: tie between 1 (odd) and 2 -> 2'],
  [0x34200000, 0x0002, '5 * 2^-25 = 2.5 units: tie between 2 (even) and 3 -> 2'],
  [0x387fc000, 0x03ff, '1023 * 2^-24 = largest subnormal'],
  [0x38800000, 0x0400, '2^-14 = smallest normal'],
  [0x387fe000, 0x0400, '1023.5 units: tie rounds up into the normals'],
  [0x3f801000, 0x3c00, '1 + 2^-11: tie -> 1'],
  [0x3f803000, 0x3c02, '1 + 3 * 2^-11: tie -> 1 + 2^-9'],
  [0x3f801001, 0x3c01, '1 + 2^-11 + 2^-23: above the tie'],
  [0x2edbe6ff, 0x0000, '1e-10 underflows'],
  [0x00000001, 0x0000, 'f32 subnormal underflows'],
  [0x7fc00000, 0x7e00, 'NaN -> quiet NaN'],
  [0xffc00000, 0xfe00, '-NaN keeps its sign'],
  [0x7f800001, 0x7e00, 'signalling NaN with a low payload stays NaN (naive truncation gives inf)'],
];

// [input float32 bits, expected bfloat16 bits].
const BF16_CASES: [number, number, string][] = [
  [0x3f800000, 0x3f80, '1'],
  [0x40100000, 0x4010, '2.25'],
  [0x3dcccccd, 0x3dcd, '0.1f rounds up'],
  [0x3f808000, 0x3f80, 'tie -> even (down)'],
  [0x3f818000, 0x3f82, 'tie -> even (up)'],
  [0x3f808001, 0x3f81, 'just above the tie'],
  [0x3f807fff, 0x3f80, 'just below the tie'],
  [0x7f7f7fff, 0x7f7f, 'below the tie at the top'],
  [0x7f7f8000, 0x7f80, 'tie at max bf16 (odd) -> inf'],
  [0x7f7fffff, 0x7f80, 'max f32 -> inf'],
  [0xff7f8000, 0xff80, '-tie -> -inf'],
  [0x7f800000, 0x7f80, '+inf'],
  [0xff800000, 0xff80, '-inf'],
  [0x80000000, 0x8000, '-0'],
  [0x00000001, 0x0000, 'tiny f32 subnormal -> 0'],
  [0x00008000, 0x0000, 'subnormal tie -> even 0'],
  [0x00018000, 0x0002, 'subnormal tie -> even 2'],
  [0x80008001, 0x8001, 'negative subnormal above the tie'],
  [0x7fc00000, 0x7fc0, 'NaN'],
  [0xffc00001, 0xffc0, '-NaN keeps its sign'],
  [0x7f800001, 0x7fc0, 'signalling NaN with a low payload stays NaN (naive rounding gives inf)'],
  [0x7fffffff, 0x7fc0, 'NaN with all payload bits (naive rounding would carry)'],
];

describe.each([
  ['F16', F16_CASES, f32BitsToF16Bits],
  ['BF16', BF16_CASES, f32BitsToBf16Bits],
] as const)('%s', (dtype, cases, convert) => {
  it.each(cases.map(([input, expected, why]) => ({ input, expected, why, from: hex(input, 8), to: hex(expected, 4) })))(
    '$from -> $to ($why)', ({ input, expected }) => {
      expect(hex(convert(input), 4)).toBe(hex(expected, 4));
    });

  it('round trips through a file with the hand-computed bits, and decodes exactly', () => {
    const p = tmp();
    writeSafetensors(p, [{ name: 'x', shape: [cases.length], data: fromBits(cases.map((c) => c[0])) }], { dtype });
    expect(storedU16(p, 'x')).toEqual(cases.map((c) => c[1]));
    const f = SafetensorsFile.open(p);
    const back = f.readFloat32('x');
    f.close();
    cases.forEach(([, h], i) => {
      const want = dtype === 'F16' ? f16BitsToF32(h) : fromBits([(h << 16) >>> 0])[0];
      expect(Object.is(back[i], want) || (Number.isNaN(back[i]) && Number.isNaN(want))).toBe(true);
    });
  });
});

describe('F16 -> F32 decoding, by hand', () => {
  it.each<[string, number, number]>([
    ['0x0001', 0x0001, 2 ** -24], ['0x03ff', 0x03ff, 1023 * 2 ** -24], ['0x0400', 0x0400, 2 ** -14], ['0x7bff', 0x7bff, 65504],
    ['0x3c01', 0x3c01, 1 + 2 ** -10], ['0x7c00', 0x7c00, Infinity], ['0xfc00', 0xfc00, -Infinity], ['0x8000', 0x8000, -0],
    ['0xc000', 0xc000, -2], ['0x3555', 0x3555, 0.333251953125],
  ])('%s', (_name, h, v) => {
    expect(Object.is(f16BitsToF32(h), v)).toBe(true);
  });
  it('NaN patterns decode to NaN', () => {
    for (const h of [0x7c01, 0x7e00, 0xfe00, 0x7fff]) expect(f16BitsToF32(h)).toBeNaN();
  });
});

describe('byte-exact output, ported from the reference suite', () => {
  const bytesOf = (tensors: TensorToWrite[], opts?: Parameters<typeof writeSafetensors>[2]) => {
    const p = tmp();
    writeSafetensors(p, tensors, opts);
    return Array.from(readFileSync(p));
  };
  const f32le = (xs: number[]) => Array.from(new Uint8Array(new Float32Array(xs).buffer));

  it('tensor.rs test_serialization: "attn.0" F32 [1,2,3]', () => {
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(bytesOf([{ name: 'attn.0', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]))
      .toEqual([64, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(header), ...f32le([0, 1, 2, 3, 4, 5])]);
  });

  it('tensor.rs test_serialization_forced_alignement: "attn0" pads the header with spaces', () => {
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    expect(bytesOf([{ name: 'attn0', shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]))
      .toEqual([72, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(header), ...f32le([0, 1, 2, 3, 4, 5])]);
  });

  it('tensor.rs test_empty: no tensors, with and without metadata', () => {
    expect(bytesOf([])).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(bytesOf([], { metadata: { framework: 'pt' } }))
      .toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('{"__metadata__":{"framework":"pt"}}     ')]);
  });

  it('test_pt_comparison.py test_serialization: BF16 ones with [0,0] = 2.25', () => {
    const expected = Buffer.from('@\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}    \x10@\x80?\x80?\x80?', 'latin1');
    expect(bytesOf([{ name: 'test', shape: [2, 2], data: new Float32Array([2.25, 1, 1, 1]) }], { dtype: 'BF16' })).toEqual(Array.from(expected));
  });

  it('test_simple.py test_deserialization_metadata / test_serialization_forces_alignment are read back', () => {
    const a = tmp();
    writeFileSync(a, Buffer.from('f\x00\x00\x00\x00\x00\x00\x00{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}       ' + '\x00'.repeat(16), 'latin1'));
    const fa = SafetensorsFile.open(a);
    expect(fa.metadata).toEqual({ framework: 'pt' });
    expect(Array.from(fa.readFloat32('test1'))).toEqual([0, 0, 0, 0]);
    fa.close();
    const b = tmp();
    writeFileSync(b, Buffer.from('\x80\x00\x00\x00\x00\x00\x00\x00{"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]},"test2":{"dtype":"F16","shape":[2,2],"data_offsets":[16,24]}}      ' + '\x00'.repeat(24), 'latin1'));
    const fb = SafetensorsFile.open(b);
    expect(fb.tensors.map((t) => [t.name, t.byteOffset])).toEqual([['test1', 136], ['test2', 152]]);
    fb.close();
  });
});

describe('writer layout', () => {
  it('pads the header so data starts 8-byte aligned, for every name length', () => {
    for (let len = 1; len <= 17; len++) {
      const p = tmp();
      writeSafetensors(p, [
        { name: 'n'.repeat(len), shape: [3], data: new Float32Array([1, 2, 3]) },
        { name: 'é', shape: [1], data: new Float32Array([4]) }, // multi-byte UTF-8 counts in bytes
      ], { dtype: 'F16' });
      const bytes = readFileSync(p);
      const n = Number(bytes.readBigUInt64LE(0));
      expect((8 + n) % 8).toBe(0);
      const header = bytes.subarray(8, 8 + n).toString('utf8');
      expect(header.trimEnd().endsWith('}')).toBe(true);
      expect(/^[^ ]*\}( *)$/.test(header.replace(/"[^"]*"/g, '""'))).toBe(true);
      const f = SafetensorsFile.open(p);
      expect(f.tensors.map((t) => t.byteOffset)).toEqual([8 + n, 8 + n + 6]);
      f.close();
    }
  });

  it('lays tensors out contiguously in the given order (not sorted)', () => {
    const p = tmp();
    writeSafetensors(p, [
      { name: 'z', shape: [2], data: new Float32Array([1, 2]) },
      { name: 'a', shape: [1], data: new Float32Array([3]) },
      { name: '10', shape: [1], data: new Float32Array([4]) }, // integer-like key keeps its place
    ]);
    const bytes = readFileSync(p);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(bytes.subarray(8, 8 + n).toString().trimEnd()).toBe(
      '{"z":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"10":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}');
  });

  it('zero-sized tensors and scalar shapes', () => {
    const p = tmp();
    writeSafetensors(p, [
      { name: 'empty', shape: [2, 0], data: new Float32Array(0) },
      { name: 'scalar', shape: [], data: new Float32Array([-3.5]) },
      { name: 'empty2', shape: [0], data: () => new Float32Array(0) },
    ], { dtype: 'BF16' });
    const f = SafetensorsFile.open(p);
    expect(f.tensors.map((t) => [t.name, t.shape, t.byteLength])).toEqual([['empty', [2, 0], 0], ['scalar', [], 2], ['empty2', [0], 0]]);
    expect(f.readFloat32('empty')).toEqual(new Float32Array(0));
    expect(Array.from(f.readFloat32('scalar'))).toEqual([-3.5]);
    f.close();
  });

  it('calls lazy data once per tensor, in order, only while writing', () => {
    const calls: string[] = [];
    const p = tmp();
    const lazy = (name: string, v: number[]) => () => {
      calls.push(name);
      return new Float32Array(v);
    };
    const tensors: TensorToWrite[] = [
      { name: 'a', shape: [2], data: lazy('a', [1, 2]) },
      { name: 'b', shape: [1], data: new Float32Array([3]) },
      { name: 'c', shape: [3], data: lazy('c', [4, 5, 6]) },
    ];
    expect(calls).toEqual([]);
    writeSafetensors(p, tensors, { dtype: 'F16' });
    expect(calls).toEqual(['a', 'c']);
    const f = SafetensorsFile.open(p);
    expect(Array.from(f.readFloat32('c'))).toEqual([4, 5, 6]);
    f.close();
    // Invalid input is refused before any data is produced.
    expect(errorCodeOf(() => writeSafetensors(tmp(), [...tensors, { name: 'a', shape: [1], data: lazy('dup', [0]) }]))).toBe('DUPLICATE_TENSOR');
    expect(calls).toEqual(['a', 'c']);
  });

  it('is crash-safe: a failing tensor leaves the old file intact and no .tmp behind', () => {
    const p = tmp();
    writeSafetensors(p, [{ name: 'x', shape: [1], data: new Float32Array([1]) }]);
    const before = readFileSync(p);
    expect(errorCodeOf(() => writeSafetensors(p, [
      { name: 'x', shape: [1], data: new Float32Array([2]) },
      { name: 'y', shape: [2], data: () => new Float32Array(3) }, // wrong length
    ]))).toBe('INVALID_TENSOR_VIEW');
    expect(readFileSync(p)).toEqual(before);
    expect(existsSync(`${p}.tmp`)).toBe(false);
    expect(() => writeSafetensors(p, [{ name: 'x', shape: [1], data: () => { throw new Error('boom'); } }])).toThrow('boom');
    expect(readFileSync(p)).toEqual(before);
    expect(existsSync(`${p}.tmp`)).toBe(false);
  });

  it('refuses bad shapes and reserved names', () => {
    expect(errorCodeOf(() => writeSafetensors(tmp(), [{ name: 'x', shape: [-1], data: new Float32Array(0) }]))).toBe('INVALID_TENSOR_VIEW');
    expect(errorCodeOf(() => writeSafetensors(tmp(), [{ name: 'x', shape: [1.5], data: new Float32Array(0) }]))).toBe('INVALID_TENSOR_VIEW');
    expect(errorCodeOf(() => writeSafetensors(tmp(), [{ name: '__metadata__', shape: [], data: new Float32Array(1) }]))).toBe('INVALID_TENSOR_NAME');
    expect(errorCodeOf(() => writeSafetensors(join(root, 'no', 'such', 'dir', 'x.safetensors'), []))).toBe('IO_ERROR');
  });
});

describe('reader', () => {
  const p = join(root, 'reader.safetensors');
  const header = JSON.stringify({
    u8: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
    b: { dtype: 'BOOL', shape: [3], data_offsets: [3, 6] },
    i32: { dtype: 'I32', shape: [2], data_offsets: [6, 14] },
    f64: { dtype: 'F64', shape: [1], data_offsets: [14, 22] },
    i64: { dtype: 'I64', shape: [1], data_offsets: [22, 30] },
    f8: { dtype: 'F8_E4M3', shape: [2], data_offsets: [30, 32] },
  });
  const data = Buffer.alloc(32);
  data.set([0, 7, 255], 0);
  data.set([0, 1, 2], 3);
  data.writeInt32LE(-5, 6);
  data.writeInt32LE(1 << 30, 10);
  data.writeDoubleLE(0.1, 14);
  data.writeBigInt64LE(-(2n ** 40n), 22);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(p, Buffer.concat([len, Buffer.from(header), data]));

  it('converts integer, bool and F64 tensors; refuses FP8; reports unknown names', () => {
    const f = SafetensorsFile.open(p);
    expect(Array.from(f.readFloat32('u8'))).toEqual([0, 7, 255]);
    expect(Array.from(f.readFloat32('b'))).toEqual([0, 1, 1]);
    expect(Array.from(f.readFloat32('i32'))).toEqual([-5, 2 ** 30]);
    expect(Array.from(f.readFloat32('f64'))).toEqual([Math.fround(0.1)]);
    expect(Array.from(f.readFloat32('i64'))).toEqual([-(2 ** 40)]);
    expect(errorCodeOf(() => f.readFloat32('f8'))).toBe('UNSUPPORTED_DTYPE');
    expect(errorCodeOf(() => f.info('nope'))).toBe('TENSOR_NOT_FOUND');
    expect(f.info('i32')).toEqual({ name: 'i32', dtype: 'I32', shape: [2], byteOffset: 8 + header.length + 6, byteLength: 8 });
    f.close();
    f.close(); // idempotent
    expect(errorCodeOf(() => f.readFloat32('u8'))).toBe('CLOSED');
  });

  it('a file truncated after open is an IO_ERROR, not garbage', () => {
    const q = tmp();
    writeSafetensors(q, [{ name: 'x', shape: [4], data: new Float32Array([1, 2, 3, 4]) }]);
    const f = SafetensorsFile.open(q);
    writeFileSync(q, readFileSync(q).subarray(0, 20));
    expect(errorCodeOf(() => f.readFloat32('x'))).toBe('IO_ERROR');
    f.close();
  });
});
