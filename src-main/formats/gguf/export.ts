/**
 * writeGguf: a Hugging Face llama/mistral/qwen2 model (config, tokenizer folder, tensors) -> one
 * GGUF file that llama.cpp and Ollama load, as `convert_hf_to_gguf.py --outtype f32|f16|q8_0`
 * would write it: the converter's tensor names, q/k permutation (llama), tensor types, metadata
 * and tokenizer.
 *
 * Streaming: the header is computed from shapes alone; then each tensor is read (its `read()` is
 * called once, when its turn comes), converted chunk by chunk and written, so only one tensor is
 * in memory at a time.
 */
import type { ModelConfig } from '../hf-config.js';
import { archMetadata, generalMetadata, ggufArch, type GgufArch, type GgufFileType } from './arch-metadata.js';
import { GgufError } from './errors.js';
import { encodeChunks, encodedByteLength, GGML_TYPE_ID, Q8_0_BLOCK, type GgmlType } from './quantize.js';
import { ggufTensorName, permuteHeads, permuteRows } from './tensor-names.js';
import { tokenizerMetadata } from './tokenizer-metadata.js';
import { writeGgufFile, type GgufKv, type GgufTensorOut } from './writer.js';

export type GgufType = GgufFileType;

export interface GgufSource {
  cfg: ModelConfig; // modelType 'llama' | 'mistral' | 'qwen2'
  tokenizerDir: string; // tokenizer.json, tokenizer_config.json, maybe generation_config.json
  /** Every parameter, HF names, HF order; read() is called once, when that tensor is written. */
  tensors: { name: string; shape: number[]; read: () => Float32Array }[];
  name: string; // general.name
  extra?: Record<string, string>; // more string metadata, written as given (e.g. 'hft.run_id')
}

export interface GgufResult {
  tensors: number;
  bytes: number;
  warnings: string[];
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The converter's choice (ModelBase.prepare_tensors): 1-D tensors and norms stay F32; other
 * weights take the file type; Q8_0 needs whole blocks of 32 along ne[0] (the last numpy dim),
 * else that tensor falls back to F16 ("falling back to F16").
 */
export function tensorType(ggufName: string, shape: number[], fileType: GgufFileType): { type: GgmlType; fallback: boolean } {
  if (shape.length <= 1 || ggufName.endsWith('_norm.weight') || !ggufName.endsWith('.weight')) return { type: 'F32', fallback: false };
  if (fileType === 'Q8_0' && shape[shape.length - 1] % Q8_0_BLOCK !== 0) return { type: 'F16', fallback: true };
  return { type: fileType, fallback: false };
}

function plainKey(key: string): boolean {
  return /^[a-z0-9_]+(\.[a-z0-9_]+)*$/.test(key);
}

function planTensor(
  t: GgufSource['tensors'][number],
  cfg: ModelConfig,
  arch: GgufArch,
  fileType: GgufFileType,
  warnings: string[],
): GgufTensorOut {
  if (t.shape.length < 1 || t.shape.length > 2 || !t.shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new GgufError(`tensor ${t.name} has shape [${t.shape.join(', ')}]; expected 1 or 2 positive dimensions`);
  }
  const name = ggufTensorName(t.name);
  const { type, fallback } = tensorType(name, t.shape, fileType);
  if (fallback) warnings.push(`${name}: ${t.shape[t.shape.length - 1]} columns are not a multiple of ${Q8_0_BLOCK}, so it is written as F16 instead of Q8_0`);
  const heads = permuteHeads(t.name, arch, cfg.numHeads, cfg.numKvHeads);
  const n = numel(t.shape);
  return {
    name,
    dims: [...t.shape].reverse(), // ggml ne[] order
    ggmlType: GGML_TYPE_ID[type],
    byteLength: encodedByteLength(type, n),
    produce: (write) => {
      let data = t.read();
      if (!(data instanceof Float32Array) || data.length !== n) {
        throw new GgufError(`tensor ${t.name}: read() gave ${data?.length} values, expected ${n} for shape [${t.shape.join(', ')}]`);
      }
      if (heads !== null) data = permuteRows(data, t.shape[0], t.shape.length === 2 ? t.shape[1] : 1, heads);
      encodeChunks(type, data, write, name);
    },
  };
}

/**
 * Writes `path` (crash-safe: a failure leaves no file there). Throws GgufError with a plain
 * reason for an unsupported model or tokenizer, a full disk, a missing folder.
 */
export function writeGguf(path: string, src: GgufSource, type: GgufType): GgufResult {
  if (!['F32', 'F16', 'Q8_0'].includes(type)) throw new GgufError(`unknown GGUF type ${JSON.stringify(type)} (F32, F16 or Q8_0)`);
  const { cfg } = src;
  const arch = ggufArch(cfg);
  const warnings: string[] = [];

  const tensors = src.tensors
    // A tied lm_head is the embedding itself; llama.cpp uses token_embd when output is absent.
    .filter((t) => !(cfg.tieWordEmbeddings && t.name === 'lm_head.weight'))
    .map((t) => planTensor(t, cfg, arch, type, warnings));
  if (!tensors.some((t) => t.name === 'token_embd.weight')) throw new GgufError('the model has no model.embed_tokens.weight; nothing to export');

  const kv: GgufKv[] = [...generalMetadata(arch, src.name), ...archMetadata(cfg, arch, type)];
  kv.push(...tokenizerMetadata(src.tokenizerDir, cfg.raw, cfg.vocabSize, arch, warnings));
  const taken = new Set(kv.map(([k]) => k));
  for (const [key, value] of Object.entries(src.extra ?? {})) {
    if (!plainKey(key)) throw new GgufError(`metadata key ${JSON.stringify(key)} must be lower_snake_case words joined by dots`);
    if (taken.has(key)) throw new GgufError(`metadata key ${key} is written by the exporter itself`);
    kv.push([key, { type: 'string', value }]);
  }

  const bytes = writeGgufFile(path, kv, tensors);
  return { tensors: tensors.length, bytes, warnings };
}
