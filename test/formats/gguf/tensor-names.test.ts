/**
 * Tensor naming, the llama q/k permutation and the per-tensor type rule on small hand-derived
 * cases (the whole-model checks are in sample-export and qwen2-export).
 */
import { describe, expect, it } from 'vitest';
import { tensorType } from '../../../src-main/formats/gguf/export.js';
import { GgufError } from '../../../src-main/formats/gguf/index.js';
import { ggufTensorName, permuteHeads, permuteRows } from '../../../src-main/formats/gguf/tensor-names.js';

describe('names', () => {
  it('maps Hugging Face names to llama.cpp names', () => {
    expect(ggufTensorName('model.embed_tokens.weight')).toBe('token_embd.weight');
    expect(ggufTensorName('model.norm.weight')).toBe('output_norm.weight');
    expect(ggufTensorName('lm_head.weight')).toBe('output.weight');
    expect(ggufTensorName('model.layers.0.input_layernorm.weight')).toBe('blk.0.attn_norm.weight');
    expect(ggufTensorName('model.layers.12.self_attn.k_proj.bias')).toBe('blk.12.attn_k.bias');
    expect(ggufTensorName('model.layers.3.self_attn.o_proj.weight')).toBe('blk.3.attn_output.weight');
    expect(ggufTensorName('model.layers.3.post_attention_layernorm.weight')).toBe('blk.3.ffn_norm.weight');
    expect(ggufTensorName('model.layers.3.mlp.down_proj.weight')).toBe('blk.3.ffn_down.weight');
  });

  it('refuses a tensor it cannot name', () => {
    expect(() => ggufTensorName('model.layers.0.self_attn.rotary_emb.inv_freq')).toThrow(GgufError);
    expect(() => ggufTensorName('vision_tower.patch_embed.weight')).toThrow(/no GGUF name/);
  });
});

describe('permutation', () => {
  it('interleaves each head\'s rotary halves (rows 0..7, 2 heads)', () => {
    // Head 0 rows [0 1 | 2 3] (first half, second half) -> pairs (0,2), (1,3); head 1 likewise.
    const w = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(permuteRows(w, 8, 1, 2))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    // One head of 8 rows: halves [0 1 2 3 | 4 5 6 7] -> 0 4 1 5 2 6 3 7.
    expect(Array.from(permuteRows(w, 8, 1, 1))).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });

  it('moves whole rows of a matrix', () => {
    const w = Float32Array.from([10, 11, 20, 21, 30, 31, 40, 41]); // 4 rows x 2 cols, 1 head
    expect(Array.from(permuteRows(w, 4, 2, 1))).toEqual([10, 11, 30, 31, 20, 21, 40, 41]);
  });

  it('applies to llama q (all heads) and k (kv heads), weights and biases; never to qwen2', () => {
    expect(permuteHeads('model.layers.0.self_attn.q_proj.weight', 'llama', 32, 8)).toBe(32);
    expect(permuteHeads('model.layers.0.self_attn.k_proj.weight', 'llama', 32, 8)).toBe(8);
    expect(permuteHeads('model.layers.0.self_attn.k_proj.bias', 'llama', 32, 8)).toBe(8);
    expect(permuteHeads('model.layers.0.self_attn.v_proj.weight', 'llama', 32, 8)).toBeNull();
    expect(permuteHeads('model.layers.0.self_attn.q_proj.weight', 'qwen2', 32, 8)).toBeNull();
  });

  it('refuses rows that do not split into heads of pairs', () => {
    expect(() => permuteRows(new Float32Array(6), 6, 1, 2)).toThrow(GgufError);
  });
});

describe('tensor types (the converter\'s rule)', () => {
  it('keeps 1-D tensors and norms in F32', () => {
    expect(tensorType('blk.0.attn_norm.weight', [64], 'Q8_0').type).toBe('F32');
    expect(tensorType('blk.0.attn_q.bias', [64], 'F16').type).toBe('F32');
    expect(tensorType('output_norm.weight', [64], 'F16').type).toBe('F32');
  });

  it('gives 2-D weights the file type, Q8_0 only for whole blocks along ne[0]', () => {
    expect(tensorType('blk.0.attn_q.weight', [64, 64], 'F16')).toEqual({ type: 'F16', fallback: false });
    expect(tensorType('blk.0.attn_q.weight', [64, 64], 'Q8_0')).toEqual({ type: 'Q8_0', fallback: false });
    expect(tensorType('blk.0.ffn_down.weight', [64, 176], 'Q8_0')).toEqual({ type: 'F16', fallback: true });
    expect(tensorType('blk.0.ffn_up.weight', [176, 64], 'Q8_0')).toEqual({ type: 'Q8_0', fallback: false });
    expect(tensorType('token_embd.weight', [512, 64], 'F32')).toEqual({ type: 'F32', fallback: false });
  });
});
