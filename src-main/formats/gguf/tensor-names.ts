/**
 * Hugging Face tensor names -> llama.cpp's GGUF names (gguf-py tensor_mapping.py, as
 * convert_hf_to_gguf.py produces them for LlamaModel and Qwen2Model), and the one layout change
 * the converter makes: LlamaModel.permute on q/k (weights and biases) for the `llama`
 * architecture, which undoes Transformers' rotary-half layout so that llama.cpp's interleaved
 * RoPE sees the right pairs. Qwen2Model does not permute.
 */
import { GgufError } from './errors.js';

const GLOBAL: Record<string, string> = {
  'model.embed_tokens.weight': 'token_embd.weight',
  'model.norm.weight': 'output_norm.weight',
  'lm_head.weight': 'output.weight',
};

const PER_LAYER: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};

/** `model.layers.3.self_attn.q_proj.weight` -> `blk.3.attn_q.weight`. */
export function ggufTensorName(hfName: string): string {
  const g = GLOBAL[hfName];
  if (g !== undefined) return g;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const local = m === null ? undefined : PER_LAYER[m[2]];
  if (m === null || local === undefined) {
    throw new GgufError(`tensor ${hfName} has no GGUF name (only the llama/mistral/qwen2 decoder tensors are exported)`);
  }
  return `blk.${Number(m[1])}.${local}`;
}

/**
 * How many heads the converter's permute splits this tensor into, or null when it leaves the
 * tensor alone: LlamaModel permutes q_proj with n_head and k_proj with n_head_kv (its
 * `if n_head_kv is not None and n_head != n_head_kv: n_head = n_head_kv`).
 */
export function permuteHeads(hfName: string, arch: 'llama' | 'qwen2', numHeads: number, numKvHeads: number): number | null {
  if (arch !== 'llama') return null;
  if (/\.self_attn\.q_proj\.(weight|bias)$/.test(hfName)) return numHeads;
  if (/\.self_attn\.k_proj\.(weight|bias)$/.test(hfName)) return numKvHeads;
  return null;
}

/**
 * LlamaModel.permute: `w.reshape(nHead, 2, rows / nHead / 2, *rest).swapaxes(1, 2).reshape(w.shape)`
 * on a row-major tensor of `rows` rows of `cols` values (cols = 1 for a bias). Row h*R + i*2 + j
 * of the result is row h*R + j*(R/2) + i of the input, R = rows / nHead.
 */
export function permuteRows(w: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
  if (rows % (2 * nHead) !== 0 || w.length !== rows * cols) {
    throw new GgufError(`cannot split ${rows} rows into ${nHead} heads of rotary pairs`);
  }
  const half = rows / nHead / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * 2 * half + j * half + i) * cols;
        const dst = (h * 2 * half + i * 2 + j) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}
