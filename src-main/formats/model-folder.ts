/**
 * Writes a Hugging Face model folder: config.json, the weights (one file, or shards + index above
 * a size), and the tokenizer and generation files of the model it derives from. Knows nothing of
 * tfjs: the weights come as lazy float32 readers, converted to their stored dtype one at a time.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openModelWeights, writeModelWeights, type FloatDtype } from './safetensors/index.js';

/** Files of a model folder that are not weights or config, copied as they are. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'generation_config.json', 'special_tokens_map.json'];

const TORCH_DTYPE = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

/** A parameter's float32 values, read when `read` is called (by a writer, one tensor at a time). */
export interface WeightReader {
  name: string;
  shape: number[];
  read: () => Float32Array;
}

export interface ModelFolderOptions {
  /** Stored dtype of the weights; default F32. config.json's torch_dtype is set to match. */
  dtype?: FloatDtype;
  /** Per-tensor stored dtypes overriding `dtype` (a mixed-dtype source keeps each tensor's own). */
  dtypes?: Record<string, FloatDtype>;
  /** The model folder this one derives from: its tokenizer files are copied when present. */
  srcDir?: string;
  /** Extra `__metadata__` entries of the safetensors files (`format: pt` is always there). */
  metadata?: Record<string, string>;
  /** Shard above this many bytes of tensor data (default 5 GB, as transformers). */
  maxShardBytes?: number;
}

/** Writes the folder's files; returns the paths written. */
export function writeModelFolder(dir: string, rawConfig: Record<string, unknown>, tensors: WeightReader[], opts: ModelFolderOptions = {}): string[] {
  const dtype = opts.dtype ?? 'F32';
  mkdirSync(dir, { recursive: true });
  const { files } = writeModelWeights(
    dir,
    tensors.map(({ name, shape, read }) => ({ name, shape, dtype: opts.dtypes?.[name], data: read })),
    { dtype, metadata: opts.metadata, maxShardBytes: opts.maxShardBytes },
  );
  const config = join(dir, 'config.json');
  writeFileSync(config, `${JSON.stringify({ ...rawConfig, torch_dtype: TORCH_DTYPE[dtype] }, null, 2)}\n`);
  files.push(config);
  if (opts.srcDir !== undefined && resolve(opts.srcDir) !== resolve(dir)) {
    for (const name of TOKENIZER_FILES) {
      const src = join(opts.srcDir, name);
      if (!existsSync(src)) continue;
      copyFileSync(src, join(dir, name));
      files.push(join(dir, name));
    }
  }
  return files;
}

/**
 * The stored dtype of each tensor of a model folder (F16, BF16, else F32), and the folder's main
 * one (the embedding's): saving with these writes a frozen tensor's bytes back unchanged.
 */
export function sourceDtypes(modelDir: string): { dtype: FloatDtype; dtypes: Record<string, FloatDtype> } {
  const weights = openModelWeights(modelDir);
  try {
    const asStored = (d: string): FloatDtype => (d === 'F16' || d === 'BF16' ? d : 'F32');
    const dtypes = Object.fromEntries(weights.names().map((n) => [n, asStored(weights.info(n).dtype)]));
    return { dtype: dtypes['model.embed_tokens.weight'] ?? 'F32', dtypes };
  } finally {
    weights.close();
  }
}
