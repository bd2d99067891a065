/**
 * Test-side GGUF reading, written from the spec (ggml docs/gguf.md) and gguf-py's dequantize, not
 * from our writer: @huggingface/gguf parses the header; these read each tensor's bytes at
 * tensorDataOffset + offset and turn them back into float32, and undo llama.cpp's q/k layout.
 */
import { readFileSync } from 'node:fs';
import { gguf } from '@huggingface/gguf';

export type Parsed = Awaited<ReturnType<typeof parse>>;

export async function parse(path: string) {
  return gguf(path, { allowLocalFile: true, typedMetadata: true });
}

/** The metadata as plain values (bigints as numbers), keyed by name. */
export function meta(p: Parsed): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.metadata)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}

/** IEEE 754 binary16 -> number: sign, 5-bit exponent (bias 15), 10-bit fraction. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export interface DecodedTensor {
  name: string;
  dims: number[]; // ggml order
  type: number; // ggml_type
  offset: number; // absolute file offset
  values: Float32Array;
  /** Q8_0 only: each block's scale as stored (f16 -> number). */
  scales?: Float64Array;
}

/** Every tensor of the file, decoded from its bytes (types 0 F32, 1 F16, 8 Q8_0). */
export function readTensors(path: string, p: Parsed): Map<string, DecodedTensor> {
  const file = readFileSync(path);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out = new Map<string, DecodedTensor>();
  for (const t of p.tensorInfos) {
    const dims = t.shape.map(Number);
    const n = dims.reduce((a, b) => a * b, 1);
    const at = Number(p.tensorDataOffset + t.offset);
    const values = new Float32Array(n);
    let scales: Float64Array | undefined;
    if (t.dtype === 0) {
      for (let i = 0; i < n; i++) values[i] = view.getFloat32(at + 4 * i, true);
    } else if (t.dtype === 1) {
      for (let i = 0; i < n; i++) values[i] = halfToNumber(view.getUint16(at + 2 * i, true));
    } else if (t.dtype === 8) {
      // block_q8_0: { ggml_half d; int8_t qs[32]; } = 34 bytes; x = d * q
      scales = new Float64Array(n / 32);
      for (let b = 0; b < n / 32; b++) {
        const d = halfToNumber(view.getUint16(at + 34 * b, true));
        scales[b] = d;
        for (let j = 0; j < 32; j++) values[32 * b + j] = d * view.getInt8(at + 34 * b + 2 + j);
      }
    } else {
      throw new Error(`unexpected ggml type ${t.dtype} for ${t.name}`);
    }
    out.set(t.name, { name: t.name, dims, type: t.dtype, offset: at, values, scales });
  }
  return out;
}

/**
 * Back to Hugging Face's row order from llama.cpp's: within each of `nHead` heads of R rows, GGUF
 * row 2i + j holds HF row j * R/2 + i (rotary pairs interleaved instead of split in halves).
 */
export function unpermute(x: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
  const r = rows / nHead;
  const out = new Float32Array(x.length);
  for (let h = 0; h < nHead; h++) {
    for (let g = 0; g < r; g++) {
      const i = g >> 1;
      const j = g & 1;
      const hfRow = h * r + j * (r / 2) + i;
      out.set(x.subarray((h * r + g) * cols, (h * r + g + 1) * cols), hfRow * cols);
    }
  }
  return out;
}

/** GGUF name of a Hugging Face parameter, per llama.cpp's tensor_mapping (written out by hand). */
export function expectedGgufName(hf: string): string {
  const fixed: Record<string, string> = {
    'model.embed_tokens.weight': 'token_embd.weight',
    'model.norm.weight': 'output_norm.weight',
    'lm_head.weight': 'output.weight',
  };
  if (fixed[hf]) return fixed[hf];
  const m = /^model\.layers\.(\d+)\.(\w+)\.(\w+)\.(weight|bias)$/.exec(hf) ?? /^model\.layers\.(\d+)\.()(\w+)\.(weight|bias)$/.exec(hf);
  if (!m) throw new Error(`no mapping for ${hf}`);
  const part: Record<string, string> = {
    input_layernorm: 'attn_norm', q_proj: 'attn_q', k_proj: 'attn_k', v_proj: 'attn_v', o_proj: 'attn_output',
    post_attention_layernorm: 'ffn_norm', gate_proj: 'ffn_gate', up_proj: 'ffn_up', down_proj: 'ffn_down',
  };
  return `blk.${m[1]}.${part[m[3]]}.${m[4]}`;
}
