/**
 * The `hft` CLI contract (DESIGN §6), end to end against models written by PyTorch
 * (test/fixtures/make_engine_fixtures.py): probe, mask, score and train with --json, and plain
 * one-line refusals of bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile, writeModelWeights } from '../../src-main/formats/safetensors/index.js';
import { runHft } from './run-hft.js';

const FIX = fileURLToPath(new URL('../fixtures/engine/', import.meta.url));
const PY = '/usr/bin/python3'; // Debian's torch (CI installs python3-torch)
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const tmp = () => mkdtempSync(join(tmpdir(), 'hft-cli-'));
const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

function toJsonl(rows: { input_ids: number[]; labels: number[] }[]): string {
  const file = join(tmp(), 'rows.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

function tensorBytes(file: string): Map<string, Float32Array> {
  const f = SafetensorsFile.open(file);
  const out = new Map(f.tensors.map((t) => [t.name, f.readFloat32(t.name)]));
  f.close();
  return out;
}

describe('hft probe', () => {
  it('reports the chosen backend and a measured matmul speed', () => {
    const r = runHft(['probe', '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ backend: string; available: string[]; matmulGflops: number; device: string }>();
    expect(out.backend).toBe('wasm');
    expect(out.available).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    expect(out.matmulGflops).toBeGreaterThan(0);
  });
});

describe('hft score', () => {
  for (const name of ['qwen2-bias', 'mistral-bf16', 'llama-gqa4-sharded']) {
    it(`matches PyTorch's losses on ${name}`, () => {
      const inputs = JSON.parse(readFileSync(join(FIX, name, 'inputs.json'), 'utf8'));
      const expected = JSON.parse(readFileSync(join(FIX, name, 'expected.json'), 'utf8'));
      const r = runHft(['score', '--model', join(FIX, name), '--data', toJsonl(inputs.rows), '--backend', 'wasm', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = r.json<{ losses: number[]; mean: number; tokens: number }>();
      expect(out.tokens).toBe(expected.tokens);
      expect(relDiff(out.mean, expected.mean_loss)).toBeLessThan(1e-4);
      out.losses.forEach((l, i) => expect(relDiff(l, expected.rows[i].loss)).toBeLessThan(1e-4));
    });
  }
});

describe('hft train', () => {
  it("matches torch.optim.AdamW step for step (full fine-tuning fixture)", () => {
    const dir = join(FIX, 'train-full');
    const spec = JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8'));
    const out = join(tmp(), 'out');
    const r = runHft([
      'train', '--model', dir, '--data', join(dir, 'data.jsonl'), '--out', out, '--strategy', 'full',
      '--steps', String(spec.steps), '--lr', String(spec.lr), '--weight-decay', String(spec.weight_decay),
      '--lr-schedule', 'constant', '--clip-norm', '0', '--batch-size', '1', '--no-shuffle', '--backend', 'wasm', '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = r.json<{ losses: number[]; stepMs: number[]; out: string; mask: { strategy: string } }>();
    expect(res.losses).toHaveLength(spec.steps);
    res.losses.forEach((l, i) => expect(relDiff(l, spec.losses[i])).toBeLessThan(1e-4));
    expect(res.stepMs).toHaveLength(spec.steps);
    expect(res.mask.strategy).toBe('full');
    const got = tensorBytes(join(out, 'model.safetensors'));
    let maxDiff = 0;
    for (const [name, want] of tensorBytes(join(dir, 'final.safetensors'))) {
      // qwen2's k_proj bias has an exactly-zero true gradient (softmax ignores a per-row shift), so
      // both sides train on rounding noise that Adam scales up to ~lr per step: bound it loosely.
      const bound = name.endsWith('k_proj.bias') ? 10 * spec.steps * spec.lr : 1e-5;
      const g = got.get(name)!;
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(g[i] - want[i]), name).toBeLessThan(bound);
        if (!name.endsWith('k_proj.bias')) maxDiff = Math.max(maxDiff, Math.abs(g[i] - want[i]));
      }
    }
    expect(maxDiff).toBeLessThan(1e-5);
    for (const f of ['config.json', 'mask.json']) expect(() => readFileSync(join(out, f))).not.toThrow();
  });

  it.skipIf(!hasTorch)('trains the half `hft mask` draws exactly as PyTorch trains that half', () => {
    const dir = join(FIX, 'train-category');
    const data = join(dir, 'data.jsonl');
    const flags = ['--seed', '11', '--stage', '2'];
    const mask = runHft(['mask', '--model', dir, ...flags, '--json']).json<{ trainable: string[]; frozen: string[] }>();
    const peerOut = join(tmp(), 'torch.safetensors');
    const spec = { model: dir, data, trainable: mask.trainable, steps: 5, lr: 0.003, weight_decay: 0.05, out: peerOut };
    const peer = spawnSync(PY, [join(FIX, '..', 'torch_train_peer.py')], { input: JSON.stringify(spec), encoding: 'utf8', timeout: 120_000 });
    expect(peer.status, peer.stderr).toBe(0);
    const torchLosses: number[] = JSON.parse(peer.stdout).losses;

    const out = join(tmp(), 'out');
    const r = runHft([
      'train', '--model', dir, '--data', data, '--out', out, ...flags, '--steps', '5', '--lr', '0.003', '--weight-decay', '0.05',
      '--lr-schedule', 'constant', '--clip-norm', '0', '--batch-size', '1', '--no-shuffle', '--backend', 'wasm', '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = r.json<{ losses: number[]; mask: { trainable: string[] } }>();
    expect(res.mask.trainable).toEqual(mask.trainable);
    res.losses.forEach((l, i) => expect(relDiff(l, torchLosses[i])).toBeLessThan(1e-4));
    const ours = tensorBytes(join(out, 'model.safetensors'));
    const theirs = tensorBytes(peerOut);
    for (const [name, want] of theirs) {
      const got = ours.get(name)!;
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), name).toBeLessThan(1e-5);
    }
    const before = tensorBytes(join(dir, 'model.safetensors'));
    for (const name of mask.frozen) {
      expect(Buffer.from(ours.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), name).toBe(true);
      expect(Buffer.from(theirs.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), name).toBe(true);
    }
  });

  it('trains a category half and leaves every frozen tensor bit-identical', () => {
    const dir = join(FIX, 'train-category');
    const out = join(tmp(), 'out');
    const r = runHft(['train', '--model', dir, '--data', join(dir, 'data.jsonl'), '--out', out, '--steps', '3', '--lr', '0.01', '--seed', '7', '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const mask = JSON.parse(readFileSync(join(out, 'mask.json'), 'utf8'));
    expect(mask).toEqual(r.json<{ mask: unknown }>().mask);
    const before = tensorBytes(join(dir, 'model.safetensors'));
    const after = tensorBytes(join(out, 'model.safetensors'));
    for (const name of mask.frozen) expect(Buffer.from(after.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), name).toBe(true);
    for (const name of mask.trainable) expect(Buffer.from(after.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), name).toBe(false);
  });

  it('keeps each tensor of a mixed BF16/F32 checkpoint in its own dtype, frozen bytes unchanged', () => {
    const src = join(FIX, 'train-category');
    const dir = tmp();
    copyFileSync(join(src, 'config.json'), join(dir, 'config.json'));
    const weights = tensorBytes(join(src, 'model.safetensors'));
    const dtypeOf = (name: string) => (name.endsWith('norm.weight') ? 'F32' : 'BF16');
    const source = SafetensorsFile.open(join(src, 'model.safetensors'));
    writeModelWeights(dir, [...weights].map(([name, data]) => ({ name, shape: source.info(name).shape, data, dtype: dtypeOf(name) })));
    source.close();
    const out = join(tmp(), 'out');
    const r = runHft(['train', '--model', dir, '--data', join(src, 'data.jsonl'), '--out', out, '--steps', '2', '--lr', '0.01', '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { mask } = r.json<{ mask: { frozen: string[] } }>();
    const raw = (file: string, name: string) => {
      const f = SafetensorsFile.open(file);
      const info = f.info(name);
      f.close();
      return { dtype: info.dtype, bytes: readFileSync(file).subarray(info.byteOffset, info.byteOffset + info.byteLength) };
    };
    for (const name of weights.keys()) expect(raw(join(out, 'model.safetensors'), name).dtype, name).toBe(dtypeOf(name));
    for (const name of mask.frozen) {
      expect(raw(join(out, 'model.safetensors'), name).bytes.equals(raw(join(dir, 'model.safetensors'), name).bytes), name).toBe(true);
    }
  });

  it('refuses to overwrite a non-empty --out', () => {
    const dir = join(FIX, 'train-category');
    const out = tmp();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const r = runHft(['train', '--model', dir, '--data', join(dir, 'data.jsonl'), '--out', out, '--steps', '1', '--backend', 'cpu']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/exists and is not empty.*--force/);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
  });
});

describe('hft mask', () => {
  it('obeys the category rule at ratio 0.5', () => {
    const r = runHft(['mask', '--model', join(FIX, 'qwen2-bias'), '--seed', '3', '--stage', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = r.json<{ trainable: string[]; frozen: string[]; strategy: string; ratio: number }>();
    expect(m).toMatchObject({ strategy: 'category', ratio: 0.5 });
    const cfg = JSON.parse(readFileSync(join(FIX, 'qwen2-bias', 'config.json'), 'utf8'));
    const has = (l: number, t: string) => m.trainable.includes(`model.layers.${l}.${t}.weight`);
    let twoFfn = 0;
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      expect(['q_proj', 'k_proj', 'v_proj', 'o_proj'].filter((p) => has(l, `self_attn.${p}`))).toHaveLength(2);
      expect(['input_layernorm', 'post_attention_layernorm'].filter((p) => has(l, p))).toHaveLength(1);
      const ffn = ['gate_proj', 'up_proj', 'down_proj'].filter((p) => has(l, `mlp.${p}`)).length;
      expect([1, 2]).toContain(ffn);
      if (ffn === 2) twoFfn++;
    }
    expect(Math.abs(twoFfn - cfg.num_hidden_layers / 2)).toBeLessThanOrEqual(0.5);
    expect(m.trainable).toContain('model.embed_tokens.weight');
  });
});

describe('bad input: one line, non-zero exit, no crash', () => {
  function hostileModel(bytes: Buffer): string {
    const dir = tmp();
    copyFileSync(join(FIX, 'llama-mha', 'config.json'), join(dir, 'config.json'));
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    return dir;
  }
  const data = toJsonl([{ input_ids: [1, 2, 3], labels: [1, 2, 3] }]);
  const header = (json: string, extra = 0) => {
    const h = Buffer.from(json);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length + extra));
    return Buffer.concat([len, h]);
  };

  const cases: [string, Buffer, RegExp][] = [
    ['a header claiming 10 GB', (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(10_000_000_000n); return b; })(), /header/i],
    ['a truncated file', Buffer.from([1, 2, 3]), /too small|header/i],
    ['a header that is not JSON', header('{not json}'), /JSON|deserial/i],
    ['offsets past the end', header('{"model.embed_tokens.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'), /offset|buffer|incomplete|truncated/i],
    ['an unknown dtype', header('{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}'), /dtype/i],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`refuses ${what}`, () => {
      const r = runHft(['score', '--model', hostileModel(bytes), '--data', data, '--backend', 'cpu'], 30_000);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(reason);
    });
  }

  it('refuses a model too big for the wasm backend before reading its weights', () => {
    const dir = tmp();
    const big = { model_type: 'llama', vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32 };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(big));
    const r = runHft(['score', '--model', dir, '--data', data, '--backend', 'wasm']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/needs 25\.1 GB as float32, more than the wasm \(CPU\) backend can hold.*--backend webgpu/);
  });

  it('refuses an unsupported architecture, naming the supported ones', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    const r = runHft(['mask', '--model', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/unsupported model_type "gpt2": supported are llama, mistral, qwen2$/);
  });

  it('names the file and line of a bad dataset row', () => {
    const bad = join(tmp(), 'bad.jsonl');
    mkdirSync(join(bad, '..'), { recursive: true });
    writeFileSync(bad, '{"input_ids":[1,2]}\n{"input_ids":"oops"}\n');
    const r = runHft(['score', '--model', join(FIX, 'llama-mha'), '--data', bad, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`hft score: ${bad}:2: "input_ids" must be an array of token ids`);
  });

  it('lists every command, and each command its flags with defaults', () => {
    expect(runHft([]).stdout).toMatch(/hft probe[\s\S]*hft mask[\s\S]*hft score[\s\S]*hft train/);
    const r = runHft(['train', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--data', '--out', '--strategy', '--ratio', '--steps', '--lr-schedule', '--no-shuffle', '--backend', '--json']) expect(r.stdout).toContain(flag);
  });

  it('explains an unknown flag and an unknown backend', () => {
    expect(runHft(['mask', '--modle', 'x']).stderr).toMatch(/Unknown option '--modle'/);
    const r = runHft(['probe', '--backend', 'tpu']);
    expect(r.code).toBe(2); // a usage error, refused before any backend is tried
    expect(r.stderr.trim()).toBe("hft probe: unknown backend 'tpu'; valid backends: auto, tensorflow, webgpu, wasm, cpu");
  });
});
