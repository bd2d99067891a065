/**
 * The `general.*` and `{arch}.*` metadata of a GGUF file, as convert_hf_to_gguf.py writes them
 * for LlamaModel (LlamaForCausalLM and MistralForCausalLM, architecture `llama`) and Qwen2Model
 * (`qwen2`), with the value types gguf-py's GGUFWriter gives them (counts uint32, epsilons and
 * rope base float32).
 *
 * Beyond the converter: for qwen2 we also write rope.dimension_count, key_length, value_length and
 * vocab_size. llama.cpp reads each of them for every architecture and defaults them to exactly
 * these values (n_embd / n_head, the token list's length), so the file means the same, and a
 * reader that does not know the defaults needs no guess.
 */
import type { ModelConfig } from '../hf-config.js';
import { GgufError } from './errors.js';
import type { GgufKv } from './writer.js';
import { ALIGNMENT } from './writer.js';

export type GgufArch = 'llama' | 'qwen2';
export type GgufFileType = 'F32' | 'F16' | 'Q8_0';

/** llama_ftype (LlamaFileType in gguf-py): ALL_F32, MOSTLY_F16, MOSTLY_Q8_0. */
const FILE_TYPE_ID: Record<GgufFileType, number> = { F32: 0, F16: 1, Q8_0: 7 };
/** GGML_QNT_VERSION in ggml.h (GGML_QUANT_VERSION in gguf-py). */
const QUANTIZATION_VERSION = 2;

/** The converter registers MistralForCausalLM under LlamaModel, so mistral is written as `llama`. */
export function ggufArch(cfg: ModelConfig): GgufArch {
  switch (cfg.modelType) {
    case 'llama':
    case 'mistral':
      return 'llama';
    case 'qwen2':
      return 'qwen2';
    default:
      throw new GgufError(`model type ${String(cfg.modelType)} cannot be exported as GGUF yet (llama, mistral and qwen2 can)`);
  }
}

/** general.* keys that come before the architecture's own (the converter's order). */
export function generalMetadata(arch: GgufArch, name: string): GgufKv[] {
  return [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.type', { type: 'string', value: 'model' }],
    ['general.name', { type: 'string', value: name }],
  ];
}

/** `{arch}.*`, then general.file_type, general.quantization_version and general.alignment. */
export function archMetadata(cfg: ModelConfig, arch: GgufArch, fileType: GgufFileType): GgufKv[] {
  const u32 = (value: number) => ({ type: 'uint32', value }) as const;
  const f32 = (value: number) => ({ type: 'float32', value }) as const;
  const k = (key: string) => `${arch}.${key}`;
  return [
    [k('block_count'), u32(cfg.numLayers)],
    [k('context_length'), u32(cfg.maxPositionEmbeddings)],
    [k('embedding_length'), u32(cfg.hiddenSize)],
    [k('feed_forward_length'), u32(cfg.intermediateSize)],
    [k('attention.head_count'), u32(cfg.numHeads)],
    [k('attention.head_count_kv'), u32(cfg.numKvHeads)],
    [k('rope.freq_base'), f32(cfg.ropeTheta)],
    [k('attention.layer_norm_rms_epsilon'), f32(cfg.rmsNormEps)],
    [k('attention.key_length'), u32(cfg.headDim)],
    [k('attention.value_length'), u32(cfg.headDim)],
    ['general.file_type', u32(FILE_TYPE_ID[fileType])],
    [k('vocab_size'), u32(cfg.vocabSize)],
    [k('rope.dimension_count'), u32(cfg.headDim)],
    ['general.quantization_version', u32(QUANTIZATION_VERSION)],
    ['general.alignment', u32(ALIGNMENT)],
  ];
}
