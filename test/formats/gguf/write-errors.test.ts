/**
 * Failures leave nothing behind and say what happened in plain words: a missing folder (real
 * ENOENT), a full disk (ENOSPC from the real writeSync call inside formats/atomic-file.ts, injected
 * by wrapping node:fs after some bytes went out), a source tensor that fails or lies about its
 * size, and bad extra metadata. An existing file at the target survives every failure.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { paramSpecs } from '../../../src-main/engine/param-specs.js';
import { GgufError, writeGguf, type GgufSource } from '../../../src-main/formats/gguf/index.js';
import { readHfConfig } from '../../../src-main/formats/hf-config.js';

/** When set, the real writeSync fails with ENOSPC once this many more bytes have been written. */
const disk = vi.hoisted(() => ({ bytesLeft: null as number | null }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, buffer: NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (disk.bytesLeft !== null) {
      const len = typeof rest[1] === 'number' ? rest[1] : buffer.byteLength;
      if (len > disk.bytesLeft) {
        const e = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
        Object.assign(e, { errno: -28, code: 'ENOSPC', syscall: 'write' });
        throw e;
      }
      disk.bytesLeft -= len;
    }
    return (fs.writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
  }) as typeof fs.writeSync;
  return { ...fs, writeSync, default: { ...fs, writeSync } };
});

const SAMPLE = fileURLToPath(new URL('../../../resources/sample/', import.meta.url));
const cfg = readHfConfig(SAMPLE);
const specs = paramSpecs(cfg);
const zeros = (shape: number[]) => new Float32Array(shape.reduce((a, b) => a * b, 1));

function source(overrides: Partial<GgufSource> = {}): GgufSource {
  return { cfg, tokenizerDir: SAMPLE, name: 'sample', tensors: specs.map((s) => ({ name: s.name, shape: s.shape, read: () => zeros(s.shape) })), ...overrides };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hft-gguf-errors-'));
});
afterEach(() => {
  disk.bytesLeft = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('write failures', () => {
  it('a missing folder: says so, creates nothing', () => {
    const path = join(dir, 'no-such-folder', 'model.gguf');
    expect(() => writeGguf(path, source(), 'F16')).toThrow(GgufError);
    expect(() => writeGguf(path, source(), 'F16')).toThrow(`cannot write ${path}: the folder ${join(dir, 'no-such-folder')} does not exist`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a full disk in the middle of the tensors: "the disk is full", no file and no temp left', () => {
    const path = join(dir, 'model.gguf');
    disk.bytesLeft = 200_000; // past the header, inside the tensor data
    let error: unknown;
    try {
      writeGguf(path, source(), 'F32');
    } catch (e) {
      error = e;
    }
    expect(disk.bytesLeft).toBeLessThan(200_000); // the real write path ran before failing
    expect(error).toBeInstanceOf(GgufError);
    expect((error as Error).message).toBe(`cannot write ${path}: the disk is full; free some space and export again (ENOSPC); nothing was written`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps an existing file at the target when the new write fails', () => {
    const path = join(dir, 'model.gguf');
    writeFileSync(path, 'the previous export');
    disk.bytesLeft = 1000; // inside the header
    expect(() => writeGguf(path, source(), 'Q8_0')).toThrow(/the disk is full/);
    expect(readFileSync(path, 'utf8')).toBe('the previous export');
    expect(readdirSync(dir)).toEqual(['model.gguf']);
  });

  it('a source tensor that fails to read: its own error passes through, nothing is left', () => {
    const path = join(dir, 'model.gguf');
    const tensors = source().tensors.map((t, i) => (i === 5 ? { ...t, read: () => { throw new Error('checkpoint shard is truncated'); } } : t));
    expect(() => writeGguf(path, source({ tensors }), 'F16')).toThrow('checkpoint shard is truncated');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a source tensor of the wrong size is refused by name', () => {
    const path = join(dir, 'model.gguf');
    const tensors = source().tensors.map((t) => (t.name === 'model.norm.weight' ? { ...t, read: () => new Float32Array(3) } : t));
    expect(() => writeGguf(path, source({ tensors }), 'F32')).toThrow(/model\.norm\.weight: read\(\) gave 3 values, expected 64/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('NaN weights under Q8_0 are refused by tensor name', () => {
    const tensors = source().tensors.map((t) => (t.name.endsWith('layers.1.mlp.up_proj.weight') ? { ...t, read: () => zeros(t.shape).fill(NaN) } : t));
    expect(() => writeGguf(join(dir, 'm.gguf'), source({ tensors }), 'Q8_0')).toThrow(/blk\.1\.ffn_up\.weight holds NaN/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('bad input, refused before writing', () => {
  it('extra metadata keys must be plain and must not replace the exporter\'s own', () => {
    const path = join(dir, 'model.gguf');
    expect(() => writeGguf(path, source({ extra: { 'Hft Run': 'x' } }), 'F32')).toThrow(/lower_snake_case/);
    expect(() => writeGguf(path, source({ extra: { 'general.name': 'x' } }), 'F32')).toThrow(/written by the exporter itself/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an unknown parameter name or type', () => {
    const path = join(dir, 'model.gguf');
    const tensors = [...source().tensors, { name: 'model.layers.0.self_attn.rotary_emb.inv_freq', shape: [8], read: () => zeros([8]) }];
    expect(() => writeGguf(path, source({ tensors }), 'F32')).toThrow(/rotary_emb\.inv_freq has no GGUF name/);
    expect(() => writeGguf(path, source(), 'Q4_0' as never)).toThrow(/unknown GGUF type "Q4_0"/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
