/**
 * Cross-checks against PyTorch through Debian's /usr/bin/python3 (the `python3` on PATH has no
 * torch): F32 -> F16/BF16 rounding bit for bit over ~200k patterns, decoding of all 65536 16-bit
 * patterns, a file written by an independent Python writer (json + struct, unpadded), and our
 * files read by an independent Python reader. Skipped when that interpreter lacks torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  SafetensorsFile,
  writeSafetensors,
} from '../../src-main/formats/safetensors/index.js';

const root = mkdtempSync(join(tmpdir(), 'st-torch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const tmp = () => join(root, `t${counter++}.safetensors`);
const tmpDir = () => {
  const d = join(root, `d${counter++}`);
  mkdirSync(d);
  return d;
};

// One /usr/bin/python3 run (importing torch takes seconds) does
// every job; exit code 77 means torch is not installed there and the block is skipped.

/** Bit patterns around every rounding boundary, plus random bits and random small magnitudes. */
function conversionInputs(): number[] {
  const inputs: number[] = [0x3f801000, 0x3f803000, 0x477ff000, 0x33000000, 0x33c00000, 0x387fe000, 0x3f808000, 0x3f818000, 0x7f7f8000, 0x00008000];
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  for (let i = 0; i < 100_000; i++) inputs.push(rnd());
  for (let e = 0x60; e <= 0x90; e++) for (let k = 0; k < 2000; k++) inputs.push(((rnd() & 0x80000000) | (e << 23) | (rnd() & 0x7fffff)) >>> 0);
  for (let e = 0; e < 256; e++) for (const m of [0, 0x1000, 0x1fff, 0x2000, 0x3000, 0x7fff, 0x8000, 0x18000, 0x7fffff]) inputs.push(((e << 23) | m) >>> 0);
  return inputs;
}

const PY_SCRIPT = `
import sys, json, struct
try:
  import torch, numpy as np
except ImportError:
  sys.exit(77)
work, indep, *ours = sys.argv[1:]

# 1. conversions: F32 bits -> half / bfloat16 bits; every 16-bit pattern -> float32
bits = np.fromfile(work + '/in.bin', dtype='<u4')
x = torch.from_numpy(bits.view(np.int32).copy()).view(torch.float32)
np.concatenate([x.half().view(torch.int16).numpy(), x.to(torch.bfloat16).view(torch.int16).numpy()]).tofile(work + '/out16.bin')
h = torch.from_numpy(np.arange(65536, dtype=np.uint16).view(np.int16).copy())
np.concatenate([h.view(torch.float16).float().numpy(), h.view(torch.bfloat16).float().numpy()]).tofile(work + '/out32.bin')

# 2. an independent writer: json + struct + raw tensor bytes
g = torch.Generator().manual_seed(0)
ts = {
  'f32': torch.randn(3, 5, generator=g),
  'f16': torch.randn(4, 3, generator=g).half(),
  'bf16': torch.randn(2, 7, generator=g).to(torch.bfloat16),
  'f64': torch.randn(5, generator=g, dtype=torch.float64),
  'i64': torch.arange(-3, 3, dtype=torch.int64).reshape(2, 3),
  'scalar': torch.tensor(1.5),
  'empty': torch.zeros(0, 4),
}
names = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64'}
header, blobs, off = {'__metadata__': {'format': 'pt', 'writer': 'python'}}, [], 0
for n in sorted(ts, reverse=True):  # not name order: the reader must sort by offsets
  t = ts[n].contiguous()
  raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
  header[n] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
  blobs.append(raw); off += len(raw)
hb = json.dumps(header).encode()  # default separators, no padding: the data is unaligned
with open(indep, 'wb') as f:
  f.write(struct.pack('<Q', len(hb))); f.write(hb); f.write(b''.join(blobs))
written = {n: {'shape': list(t.shape), 'values': t.float().flatten().tolist()} for n, t in ts.items()}

# 3. an independent reader of our files
dt = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}
read = []
for path in ours:
  data = open(path, 'rb').read()
  n = struct.unpack('<Q', data[:8])[0]
  assert (8 + n) % 8 == 0 and data[8:8 + n].decode().startswith('{')
  hdr = json.loads(data[8:8 + n])
  meta = hdr.pop('__metadata__')
  t = {}
  for name, info in hdr.items():
    b, e = info['data_offsets']
    raw = bytearray(data[8 + n + b:8 + n + e])
    v = torch.frombuffer(raw, dtype=dt[info['dtype']]) if raw else torch.zeros(0, dtype=dt[info['dtype']])
    t[name] = {'shape': info['shape'], 'values': v.float().tolist()}
  read.append({'meta': meta, 't': t})
f32 = torch.tensor(read[0]['t']['v']['values'], dtype=torch.float32)
rounded = {'half': f32.half().float().tolist(), 'bf16': f32.to(torch.bfloat16).float().tolist()}
print(json.dumps({'written': written, 'read': read, 'rounded': rounded}))
`;

interface PyResult {
  inputs: number[];
  values: Float32Array;
  indepPath: string;
  written: Record<string, { shape: number[]; values: number[] }>;
  read: { meta: Record<string, string>; t: Record<string, { shape: number[]; values: number[] }> }[];
  rounded: { half: number[]; bf16: number[] };
  t16: Uint16Array;
  t32: Float32Array;
}

function runPython(): PyResult | null {
  if (!existsSync('/usr/bin/python3')) return null;
  const work = tmpDir();
  const inputs = conversionInputs();
  writeFileSync(join(work, 'in.bin'), new Uint32Array(inputs));
  const values = new Float32Array(257).map((_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 13) - 8));
  const ours = (['F32', 'F16', 'BF16'] as const).map((dtype) => {
    const p = join(work, `ours-${dtype}.safetensors`);
    writeSafetensors(p, [
      { name: 'v', shape: [257], data: values },
      { name: 's', shape: [], data: new Float32Array([0.3]) },
      { name: 'z', shape: [0, 3], data: new Float32Array(0) },
    ], { dtype, metadata: { format: 'pt' } });
    return p;
  });
  const indepPath = join(work, 'independent.safetensors');
  const r = spawnSync('/usr/bin/python3', ['-c', PY_SCRIPT, work, indepPath, ...ours], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status === 77) return null;
  if (r.status !== 0) throw new Error(`/usr/bin/python3 failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as Pick<PyResult, 'written' | 'read' | 'rounded'>;
  const t16 = new Uint16Array(new Uint8Array(readFileSync(join(work, 'out16.bin'))).buffer);
  const t32 = new Float32Array(new Uint8Array(readFileSync(join(work, 'out32.bin'))).buffer);
  return { ...out, inputs, values, indepPath, t16, t32 };
}

const py = runPython();

describe.skipIf(py === null)('against PyTorch (Debian /usr/bin/python3)', () => {
  const isNaNBits = (x: number) => (x & 0x7fffffff) >>> 0 > 0x7f800000;

  it('F32 -> F16 / BF16 match .half() / .to(torch.bfloat16) bit for bit', () => {
    const { inputs, t16 } = py!;
    let checked = 0;
    inputs.forEach((x, i) => {
      const f16 = f32BitsToF16Bits(x);
      const bf16 = f32BitsToBf16Bits(x);
      if (isNaNBits(x)) {
        expect(f16).toBe(t16[i]); // torch's half NaN is sign|0x7E00 too
        expect((bf16 & 0x7f80) === 0x7f80 && (bf16 & 0x7f) !== 0).toBe(true); // torch's BF16 NaN bits vary by code path
        return;
      }
      if (f16 !== t16[i]) expect([x.toString(16), f16.toString(16)]).toEqual([x.toString(16), t16[i].toString(16)]);
      if (bf16 !== t16[inputs.length + i]) expect([x.toString(16), bf16.toString(16)]).toEqual([x.toString(16), t16[inputs.length + i].toString(16)]);
      checked++;
    });
    expect(checked).toBeGreaterThan(150_000);
  });

  it.each([['F16', 0], ['BF16', 1]] as const)('every %s pattern decodes like torch .float()', (dtype, k) => {
    // A hand-built file holding all 65536 16-bit patterns.
    const p = tmp();
    const bytes = new Uint8Array(new Uint16Array(65536).map((_, i) => i).buffer);
    const header = Buffer.from(JSON.stringify({ x: { dtype, shape: [65536], data_offsets: [0, bytes.length] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(p, Buffer.concat([len, header, bytes]));
    const f = SafetensorsFile.open(p);
    const ours = f.readFloat32('x');
    f.close();
    for (let h = 0; h < 65536; h++) {
      const want = py!.t32[k * 65536 + h];
      if (Number.isNaN(want)) expect(ours[h]).toBeNaN();
      else if (!Object.is(ours[h], want)) expect([h, ours[h]]).toEqual([h, want]);
    }
  });

  it('reads a file written by an independent Python writer (json + struct + torch)', () => {
    const f = SafetensorsFile.open(py!.indepPath);
    expect(f.metadata).toEqual({ format: 'pt', writer: 'python' });
    expect(f.tensors.map((t) => t.name)).toEqual(['scalar', 'i64', 'f64', 'f32', 'f16', 'empty', 'bf16']);
    for (const [name, { shape, values }] of Object.entries(py!.written)) {
      expect(f.info(name).shape).toEqual(shape);
      expect(Array.from(f.readFloat32(name))).toEqual(values);
    }
    f.close();
  });

  it('writes files an independent Python reader accepts, with torch-identical rounding', () => {
    const { read, rounded, values } = py!;
    expect(read[0].meta).toEqual({ format: 'pt' });
    expect(read[0].t.v.values).toEqual(Array.from(values));
    expect(read[1].t.v.values).toEqual(rounded.half);
    expect(read[2].t.v.values).toEqual(rounded.bf16);
    expect(read[0].t.s).toEqual({ shape: [], values: [Math.fround(0.3)] });
    expect(read[2].t.z).toEqual({ shape: [0, 3], values: [] });
  });
});
