/**
 * Tensor encodings against independent references: Q8_0 byte for byte against gguf-py's
 * quants.py semantics computed in numpy (test/fixtures/make_gguf_q8_fixture.py ->
 * test/fixtures/gguf/q8_0.json), F16 and F32 against hand-derived IEEE bit patterns.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GgufError } from '../../../src-main/formats/gguf/index.js';
import { encodeChunks, encodedByteLength, encodeF16, encodeF32, quantizeQ8_0 } from '../../../src-main/formats/gguf/quantize.js';

interface Q8Case {
  name: string;
  values: number[];
  blocks: string;
}
const FIXTURE = fileURLToPath(new URL('../../fixtures/gguf/q8_0.json', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../fixtures/make_gguf_q8_fixture.py', import.meta.url));
const fixture: { cases: Q8Case[] } = JSON.parse(readFileSync(FIXTURE, 'utf8'));
const PY = '/usr/bin/python3';
const hasNumpy = spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

describe('Q8_0', () => {
  // Skipped only where /usr/bin/python3 has no numpy (Debian python3-numpy, which python3-torch pulls in).
  it.skipIf(!hasNumpy)('the fixture is reproduced byte for byte by make_gguf_q8_fixture.py', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hft-gguf-q8-'));
    try {
      const out = join(dir, 'q8_0.json');
      const r = spawnSync(PY, [SCRIPT, out], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(out).equals(readFileSync(FIXTURE))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has fixture cases', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('matches gguf-py byte for byte: %s', (_, c) => {
    const x = Float32Array.from(c.values);
    expect(Array.from(x)).toEqual(c.values); // the JSON numbers are exact float32 values
    expect(hex(quantizeQ8_0(x))).toBe(c.blocks);
  });

  it('gives the same bytes through the chunked encoder', () => {
    const all = Float32Array.from(fixture.cases.flatMap((c) => c.values));
    const parts: Uint8Array[] = [];
    encodeChunks('Q8_0', all, (b) => parts.push(b.slice()));
    expect(Buffer.concat(parts).toString('hex')).toBe(fixture.cases.map((c) => c.blocks).join(''));
    expect(encodedByteLength('Q8_0', all.length)).toBe(Buffer.concat(parts).length);
  });

  it('rounds halves away from zero (d = 1 block, hand-checked)', () => {
    const x = new Float32Array(32);
    x.set([127, 2.5, -2.5, 0.5, -0.5, 3.5]);
    const b = quantizeQ8_0(x);
    expect(b[0] | (b[1] << 8)).toBe(0x3c00); // d = 1.0 as f16
    expect(Array.from(new Int8Array(b.buffer, 2, 6))).toEqual([127, 3, -3, 1, -1, 4]);
  });

  it('refuses NaN and infinite weights in plain words', () => {
    const x = new Float32Array(32);
    x[5] = NaN;
    expect(() => quantizeQ8_0(x, 'blk.0.attn_q.weight')).toThrow(GgufError);
    expect(() => quantizeQ8_0(x, 'blk.0.attn_q.weight')).toThrow(/blk\.0\.attn_q\.weight holds NaN at element 5/);
    x[5] = -Infinity;
    expect(() => quantizeQ8_0(x)).toThrow(/-Infinity/);
  });

  it('needs whole blocks', () => {
    expect(() => encodedByteLength('Q8_0', 48)).toThrow(/multiple of 32/);
  });
});

describe('F16 and F32', () => {
  it('writes IEEE half bits little-endian, round to nearest even', () => {
    // value -> expected half bits, derived by hand from the binary16 layout.
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [65520, 0x7c00], // halfway to 65536: ties to even -> inf
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to zero: ties to even -> 0
      [3 * 2 ** -25, 0x0002], // 1.5 subnormal ulps: ties to even -> 2
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and 1 + 2^-10: even is 1
      [1 + 3 * 2 ** -11, 0x3c02], // halfway between 1+2^-10 and 1+2^-9: even is 1+2^-9
      [-0, 0x8000],
    ];
    const bytes = encodeF16(Float32Array.from(cases.map(([v]) => v)));
    cases.forEach(([v, bits], i) => expect(bytes[2 * i] | (bytes[2 * i + 1] << 8), String(v)).toBe(bits));
  });

  it('writes float32 little-endian', () => {
    const b = encodeF32(Float32Array.from([1, -2.5]));
    expect(hex(b)).toBe('0000803f000020c0');
  });
});
