/**
 * The sample model (resources/sample, llama, GQA 4/2 heads) written as GGUF F32, F16 and Q8_0 and
 * read back with an independent parser (@huggingface/gguf): the container (version, alignment,
 * offsets), every key llama.cpp needs for `llama`, the converter's tensor names, shapes and types,
 * the tokenizer metadata against the tokenizer files, and every tensor's values against the
 * safetensors source after undoing llama.cpp's q/k layout on the test side.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramSpecs } from '../../../src-main/engine/param-specs.js';
import { writeGguf, type GgufType } from '../../../src-main/formats/gguf/index.js';
import { readHfConfig } from '../../../src-main/formats/hf-config.js';
import { openModelWeights, type ModelWeights } from '../../../src-main/formats/safetensors/index.js';
import { expectedGgufName, meta, parse, readTensors, unpermute, type Parsed } from './helpers.js';

const SAMPLE = fileURLToPath(new URL('../../../resources/sample/', import.meta.url));
const raw = JSON.parse(readFileSync(join(SAMPLE, 'config.json'), 'utf8'));
const tokJson = JSON.parse(readFileSync(join(SAMPLE, 'tokenizer.json'), 'utf8'));
const tokCfg = JSON.parse(readFileSync(join(SAMPLE, 'tokenizer_config.json'), 'utf8'));
const cfg = readHfConfig(SAMPLE);
const specs = paramSpecs(cfg);
const TYPES: GgufType[] = ['F32', 'F16', 'Q8_0'];

let dir: string;
let weights: ModelWeights;
const out: Record<string, { path: string; result: ReturnType<typeof writeGguf>; parsed: Parsed; reads: string[] }> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hft-gguf-sample-'));
  weights = openModelWeights(SAMPLE);
  for (const type of TYPES) {
    const path = join(dir, `sample-${type}.gguf`);
    const reads: string[] = [];
    const tensors = specs.map((s) => ({ name: s.name, shape: s.shape, read: () => (reads.push(s.name), weights.readFloat32(s.name)) }));
    const result = writeGguf(path, { cfg, tokenizerDir: SAMPLE, tensors, name: 'HFT sample', extra: { 'hft.run_id': 'run-42' } }, type);
    out[type] = { path, result, parsed: await parse(path), reads };
  }
});

afterAll(() => {
  weights?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(TYPES)('sample model as %s', (type) => {
  it('is a GGUF v3 file with 32-byte alignment and every offset aligned', () => {
    const { parsed, path, result } = out[type];
    const head = readFileSync(path).subarray(0, 8);
    expect(head.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(head.readUInt32LE(4)).toBe(3);
    const m = meta(parsed);
    expect(m.version).toBe(3);
    expect(m['general.alignment']).toBe(32);
    expect(Number(parsed.tensorDataOffset) % 32).toBe(0);
    let end = Number(parsed.tensorDataOffset);
    for (const t of parsed.tensorInfos) {
      const at = Number(parsed.tensorDataOffset + t.offset);
      expect(at % 32, t.name).toBe(0);
      expect(at, `${t.name} overlaps the previous tensor`).toBeGreaterThanOrEqual(end);
      const n = t.shape.reduce((a, b) => a * Number(b), 1);
      end = at + (t.dtype === 0 ? 4 * n : t.dtype === 1 ? 2 * n : (n / 32) * 34);
    }
    const size = statSync(path).size;
    expect(size).toBe(Math.ceil(end / 32) * 32); // gguf-py pads after the last tensor too
    expect(result.bytes).toBe(size);
    expect(result.tensors).toBe(specs.length);
    expect(out[type].reads).toEqual(specs.map((s) => s.name)); // each read once, in order
  });

  it('has the metadata llama.cpp needs for a llama model', () => {
    const m = meta(out[type].parsed);
    expect(m['general.architecture']).toBe('llama');
    expect(m['general.name']).toBe('HFT sample');
    expect(m['general.file_type']).toBe({ F32: 0, F16: 1, Q8_0: 7 }[type]);
    expect(m['general.quantization_version']).toBe(2);
    expect(m['hft.run_id']).toBe('run-42');
    expect(m['llama.context_length']).toBe(raw.max_position_embeddings);
    expect(m['llama.embedding_length']).toBe(raw.hidden_size);
    expect(m['llama.block_count']).toBe(raw.num_hidden_layers);
    expect(m['llama.feed_forward_length']).toBe(raw.intermediate_size);
    expect(m['llama.attention.head_count']).toBe(raw.num_attention_heads);
    expect(m['llama.attention.head_count_kv']).toBe(raw.num_key_value_heads);
    expect(m['llama.rope.freq_base']).toBe(Math.fround(raw.rope_theta));
    expect(m['llama.attention.layer_norm_rms_epsilon']).toBe(Math.fround(raw.rms_norm_eps));
    expect(m['llama.rope.dimension_count']).toBe(raw.head_dim);
    expect(m['llama.attention.key_length']).toBe(raw.head_dim);
    expect(m['llama.attention.value_length']).toBe(raw.head_dim);
    expect(m['llama.vocab_size']).toBe(raw.vocab_size);
    // Value types as gguf-py writes them: counts uint32 (4), epsilons float32 (6).
    const typed = out[type].parsed.typedMetadata;
    expect(typed['llama.block_count'].type).toBe(4);
    expect(typed['llama.attention.layer_norm_rms_epsilon'].type).toBe(6);
    expect(typed['tokenizer.ggml.token_type'].subType).toBe(5); // int32 array
  });

  it('carries the tokenizer as llama.cpp gpt2 metadata', () => {
    const m = meta(out[type].parsed);
    expect(m['tokenizer.ggml.model']).toBe('gpt2');
    expect(m['tokenizer.ggml.pre']).toBe('gpt-2'); // ByteLevel with the GPT-2 regex
    const tokens = m['tokenizer.ggml.tokens'] as string[];
    const types = m['tokenizer.ggml.token_type'] as number[];
    expect(tokens).toHaveLength(raw.vocab_size);
    for (const [text, id] of Object.entries(tokJson.model.vocab as Record<string, number>)) expect(tokens[id]).toBe(text);
    for (const a of tokJson.added_tokens) expect([tokens[a.id], types[a.id]]).toEqual([a.content, 3]);
    expect(types.filter((t) => t === 1)).toHaveLength(Object.keys(tokJson.model.vocab).length);
    expect(m['tokenizer.ggml.merges']).toEqual(tokJson.model.merges);
    const idOf = (content: string) => tokJson.added_tokens.find((a: { content: string }) => a.content === content).id;
    expect(m['tokenizer.ggml.bos_token_id']).toBe(idOf(tokCfg.bos_token));
    expect(m['tokenizer.ggml.eos_token_id']).toBe(idOf(tokCfg.eos_token));
    expect(m['tokenizer.ggml.padding_token_id']).toBe(idOf(tokCfg.pad_token));
    expect(m['tokenizer.ggml.unknown_token_id']).toBeUndefined(); // unk_token is null
    expect(m['tokenizer.ggml.add_bos_token']).toBe(true);
    expect(m['tokenizer.ggml.add_eos_token']).toBe(false);
    expect(m['tokenizer.chat_template']).toBe(tokCfg.chat_template);
  });

  it('names, shapes and types the tensors as convert_hf_to_gguf.py does', () => {
    const { parsed, result } = out[type];
    expect(parsed.tensorInfos.map((t) => t.name)).toEqual(specs.map((s) => expectedGgufName(s.name)));
    expect(parsed.tensorInfos.some((t) => t.name === 'output.weight')).toBe(true); // untied
    const fallbacks: string[] = [];
    parsed.tensorInfos.forEach((t, i) => {
      const shape = specs[i].shape;
      expect(t.shape.map(Number), t.name).toEqual([...shape].reverse());
      let want = { F32: 0, F16: 1, Q8_0: 8 }[type];
      if (shape.length === 1) want = 0; // norms stay F32
      else if (type === 'Q8_0' && shape[1] % 32 !== 0) (want = 1), fallbacks.push(t.name); // ne[0] not whole blocks
      expect(t.dtype, t.name).toBe(want);
    });
    // intermediate_size 176 is not a multiple of 32: ffn_down (ne[0] = 176) falls back to F16.
    expect(fallbacks).toEqual(type === 'Q8_0' ? [0, 1, 2, 3].map((i) => `blk.${i}.ffn_down.weight`) : []);
    expect(result.warnings.length).toBe(fallbacks.length);
  });

  it('holds every tensor\'s values (llama q/k permutation undone on the test side)', () => {
    const { path, parsed } = out[type];
    const decoded = readTensors(path, parsed);
    let worstQ8 = 0;
    for (const s of specs) {
      const t = decoded.get(expectedGgufName(s.name))!;
      const src = weights.readFloat32(s.name);
      let got = t.values;
      if (s.name.endsWith('q_proj.weight')) got = unpermute(got, s.shape[0], s.shape[1], cfg.numHeads);
      if (s.name.endsWith('k_proj.weight')) got = unpermute(got, s.shape[0], s.shape[1], cfg.numKvHeads);
      if (t.type === 0) {
        expect(Buffer.from(got.buffer).equals(Buffer.from(src.buffer, src.byteOffset, src.byteLength)), s.name).toBe(true);
      } else if (t.type === 1) {
        for (let i = 0; i < src.length; i++) {
          const tol = Math.max(Math.abs(src[i]) * 2 ** -11, 2 ** -25); // half of an f16 ulp
          if (!(Math.abs(got[i] - src[i]) <= tol)) expect.fail(`${s.name}[${i}]: ${got[i]} vs ${src[i]}`);
        }
      } else {
        // Per block: |x - q*d16| <= d/2 (rounding to the integer grid) + 127*|d16 - d| (scale stored as f16).
        // The permutation moves whole rows, and blocks lie within rows, so a block's set of values
        // is the same in HF and GGUF order; compare block by block in HF order.
        const ggufScales = t.scales!;
        const blocksPerRow = s.shape[1] / 32;
        for (let b = 0; b < src.length / 32; b++) {
          let amax = 0;
          for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[32 * b + j]));
          const d = amax / 127;
          // The stored scale of the GGUF block that holds HF block b (found by its row's position).
          const d16 = ggufScales[blockIndexInGguf(s, b, blocksPerRow)];
          for (let j = 0; j < 32; j++) {
            const err = Math.abs(got[32 * b + j] - src[32 * b + j]);
            const bound = d / 2 + 127 * Math.abs(d16 - d) + 1e-12;
            if (!(err <= bound)) expect.fail(`${s.name}[${32 * b + j}]: ${got[32 * b + j]} vs ${src[32 * b + j]} (d ${d}, d16 ${d16})`);
            worstQ8 = Math.max(worstQ8, err / (d || 1));
          }
        }
      }
    }
    if (type === 'Q8_0') expect(worstQ8).toBeGreaterThan(0.3); // it really is quantized
  });
});

/** HF block b of a q/k tensor sits in a permuted row in the file; other tensors keep their rows. */
function blockIndexInGguf(s: { name: string; shape: number[] }, b: number, blocksPerRow: number): number {
  const heads = s.name.endsWith('q_proj.weight') ? cfg.numHeads : s.name.endsWith('k_proj.weight') ? cfg.numKvHeads : 0;
  if (heads === 0) return b;
  const hfRow = Math.floor(b / blocksPerRow);
  const r = s.shape[0] / heads;
  const h = Math.floor(hfRow / r);
  const within = hfRow % r; // = j * r/2 + i
  const j = Math.floor(within / (r / 2));
  const i = within % (r / 2);
  return (h * r + 2 * i + j) * blocksPerRow + (b % blocksPerRow);
}

describe('the writer', () => {
  it('writes the same bytes every time', () => {
    const again = join(dir, 'again.gguf');
    const tensors = specs.map((s) => ({ name: s.name, shape: s.shape, read: () => weights.readFloat32(s.name) }));
    writeGguf(again, { cfg, tokenizerDir: SAMPLE, tensors, name: 'HFT sample', extra: { 'hft.run_id': 'run-42' } }, 'Q8_0');
    expect(readFileSync(again).equals(readFileSync(out.Q8_0.path))).toBe(true);
  });
});
