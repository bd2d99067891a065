/**
 * Hugging Face `config.json` → the engine's ModelConfig.
 *
 * Accepts the decoder-only LLaMA family: `llama`, `mistral`, `qwen2`. Everything else is refused
 * with a message naming what is supported. Knows nothing of tfjs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUPPORTED_ARCHITECTURES = ['llama', 'mistral', 'qwen2'] as const;
export type Architecture = (typeof SUPPORTED_ARCHITECTURES)[number];

export interface ModelConfig {
  modelType: Architecture;
  vocabSize: number;
  hiddenSize: number; // d_model
  intermediateSize: number; // SwiGLU hidden width
  numLayers: number;
  numHeads: number; // query heads
  numKvHeads: number; // key/value heads (GQA: numHeads % numKvHeads == 0)
  headDim: number;
  ropeTheta: number;
  rmsNormEps: number;
  tieWordEmbeddings: boolean;
  attentionBias: boolean; // q/k/v biases (qwen2)
  maxPositionEmbeddings: number;
  /**
   * The longest sequence this engine computes exactly as Hugging Face does: max_position_embeddings,
   * or the sliding-window size where the model uses one (full causal attention only matches HF
   * within the window).
   */
  maxSequenceLength: number;
  /** The raw config.json, so export can write back exactly what was read. */
  raw: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function int(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ConfigError(`config.json: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function num(raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ConfigError(`config.json: "${key}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function parseHfConfig(raw: unknown): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('config.json must be a JSON object');
  }
  const r = raw as Record<string, unknown>;
  const modelType = r.model_type;
  if (typeof modelType !== 'string' || !(SUPPORTED_ARCHITECTURES as readonly string[]).includes(modelType)) {
    throw new ConfigError(
      `unsupported model_type ${JSON.stringify(modelType)}: supported are ${SUPPORTED_ARCHITECTURES.join(', ')}`,
    );
  }
  const hiddenSize = int(r, 'hidden_size');
  const numHeads = int(r, 'num_attention_heads');
  const numKvHeads = int(r, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(`config.json: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  const headDim = r.head_dim == null ? hiddenSize / numHeads : int(r, 'head_dim');
  if (!Number.isInteger(headDim)) {
    throw new ConfigError(`config.json: hidden_size (${hiddenSize}) is not divisible by num_attention_heads (${numHeads})`);
  }
  if (headDim % 2 !== 0) throw new ConfigError(`config.json: head dimension ${headDim} must be even for rotary embeddings`);
  const ropeScaling = r.rope_scaling as { type?: string; rope_type?: string } | null | undefined;
  const ropeKind = ropeScaling?.rope_type ?? ropeScaling?.type;
  if (ropeScaling != null && ropeKind !== 'default') {
    throw new ConfigError(`config.json: rope_scaling ${JSON.stringify(ropeKind)} is not supported yet`);
  }
  if (r.hidden_act != null && r.hidden_act !== 'silu') {
    throw new ConfigError(`config.json: hidden_act ${JSON.stringify(r.hidden_act)} is not supported (only silu)`);
  }
  // HF llama/mistral put `attention_bias` on q, k, v AND o, and `mlp_bias` on the MLP: not modelled.
  for (const key of ['attention_bias', 'mlp_bias']) {
    if (r[key] === true && !(modelType === 'qwen2' && key === 'attention_bias')) {
      throw new ConfigError(`config.json: "${key}": true is not supported yet for ${modelType}`);
    }
  }
  const maxPositionEmbeddings = int(r, 'max_position_embeddings', 2048);
  const slides = modelType === 'mistral' || (modelType === 'qwen2' && r.use_sliding_window === true);
  const window = slides && r.sliding_window != null ? int(r, 'sliding_window') : Infinity;
  return {
    modelType: modelType as Architecture,
    vocabSize: int(r, 'vocab_size'),
    hiddenSize,
    intermediateSize: int(r, 'intermediate_size'),
    numLayers: int(r, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    ropeTheta: num(r, 'rope_theta', 10000),
    rmsNormEps: num(r, 'rms_norm_eps', 1e-6),
    tieWordEmbeddings: r.tie_word_embeddings === true,
    attentionBias: modelType === 'qwen2',
    maxPositionEmbeddings,
    maxSequenceLength: Math.min(maxPositionEmbeddings, window),
    raw: r,
  };
}

export function readHfConfig(dir: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(join(dir, 'config.json'), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${existsSync(dir) ? 'there is no config.json in it' : 'the folder does not exist'}; a Hugging Face model folder holds config.json, tokenizer.json and model.safetensors` : (code ?? String(e));
    throw new ConfigError(`cannot read ${join(dir, 'config.json')}: ${why}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${join(dir, 'config.json')} is not valid JSON: ${(e as Error).message}`);
  }
  return parseHfConfig(raw);
}
