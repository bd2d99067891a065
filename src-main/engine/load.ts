/**
 * Hugging Face model folder <-> the engine's Params (HF tensor name -> float32 tf.Tensor).
 *
 * loadModel checks that the checkpoint holds exactly the tensors paramSpecs(cfg) expects (names and
 * shapes; an extra `lm_head.weight` in a tied model is ignored, as transformers does), then makes
 * tf tensors one at a time from readFloat32, so peak memory stays near 1x the float32 model: each
 * Float32Array becomes a tensor (and garbage) before the next one is read. BF16/F16 checkpoints
 * are widened to float32 by the reader. saveModel (async: webgpu reads back only asynchronously)
 * hands the weights to formats/model-folder.ts, which writes the folder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readHfConfig, type ModelConfig } from '../formats/hf-config.js';
import { writeModelFolder, type ModelFolderOptions, type WeightReader } from '../formats/model-folder.js';
import { openModelWeights, type ModelWeights } from '../formats/safetensors/index.js';
import type { Params } from './model.js';
import { numel, paramSpecs, type ParamSpec } from './param-specs.js';

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Throws a one-line ModelLoadError for the first tensor that is missing or misshaped (in
 * checkpoint order), else for the first unexpected one.
 */
function checkTensors(dir: string, cfg: ModelConfig, specs: ParamSpec[], weights: ModelWeights): void {
  const present = new Set(weights.names());
  const what = `a ${cfg.modelType} model with ${cfg.numLayers} layers`;
  for (const spec of specs) {
    if (!present.has(spec.name)) {
      throw new ModelLoadError(`${dir}: tensor "${spec.name}" is missing (config.json describes ${what})`);
    }
    const shape = weights.info(spec.name).shape;
    if (!sameShape(shape, spec.shape)) {
      throw new ModelLoadError(`${dir}: tensor "${spec.name}" has shape ${shapeText(shape)}, config.json implies ${shapeText(spec.shape)}`);
    }
  }
  const expected = new Set(specs.map((s) => s.name));
  for (const name of present) {
    if (expected.has(name)) continue;
    if (cfg.tieWordEmbeddings && name === 'lm_head.weight') continue; // tied: the head is the embedding
    throw new ModelLoadError(`${dir}: unexpected tensor "${name}" (not part of ${what} as config.json describes it)`);
  }
}

/** WebAssembly memory is 32-bit: the weights alone must leave room for activations and optimizer state. */
const WASM_WEIGHT_LIMIT_BYTES = 3 * 2 ** 30;

function checkFitsBackend(specs: ParamSpec[]): void {
  const bytes = 4 * specs.reduce((sum, p) => sum + numel(p.shape), 0);
  if (tf.getBackend() === 'wasm' && bytes > WASM_WEIGHT_LIMIT_BYTES) {
    const gb = (bytes / 2 ** 30).toFixed(1);
    throw new ModelLoadError(
      `this model needs ${gb} GB as float32, more than the wasm (CPU) backend can hold (4 GB in all); use a GPU backend (--backend webgpu or tensorflow) or a smaller model`,
    );
  }
}

/** Reads config.json and the safetensors weights of an HF model folder into float32 tensors. */
export function loadModel(dir: string): { cfg: ModelConfig; params: Params } {
  const cfg = readHfConfig(dir);
  const specs = paramSpecs(cfg);
  checkFitsBackend(specs);
  const weights = openModelWeights(dir);
  const params: Params = {};
  try {
    checkTensors(dir, cfg, specs, weights);
    for (const spec of specs) {
      // One tensor at a time: the Float32Array is handed to tfjs before the next read.
      params[spec.name] = tf.tensor(weights.readFloat32(spec.name), spec.shape, 'float32');
    }
  } catch (e) {
    tf.dispose(Object.values(params));
    throw e;
  } finally {
    weights.close();
  }
  return { cfg, params };
}

/** Parameters from host float32 arrays (a checkpoint), checked name by name against the config. */
export function paramsFromArrays(cfg: ModelConfig, weights: Map<string, { shape: number[]; data: Float32Array }>): Params {
  const params: Params = {};
  for (const spec of paramSpecs(cfg)) {
    const w = weights.get(spec.name);
    if (w == null || !sameShape(w.shape, spec.shape)) {
      tf.dispose(Object.values(params));
      throw new ModelLoadError(`checkpoint: parameter "${spec.name}" is ${w == null ? 'missing' : `${shapeText(w.shape)}, expected ${shapeText(spec.shape)}`}`);
    }
    params[spec.name] = tf.tensor(w.data, spec.shape, 'float32');
  }
  return params;
}

export type SaveOptions = Omit<ModelFolderOptions, 'maxShardBytes'>;

/**
 * Readers for every parameter in HF order, checked against the config. On cpu, wasm and
 * tensorflow each `read` is a lazy `dataSync()`; on webgpu the values are read back first with
 * `await data()`, one tensor at a time (see saveModel for the memory this costs).
 */
export async function weightReaders(cfg: ModelConfig, params: Params): Promise<WeightReader[]> {
  const checked = paramSpecs(cfg).map((spec) => {
    const t = params[spec.name];
    if (t === undefined) throw new ModelLoadError(`model: parameter "${spec.name}" is missing`);
    if (!sameShape(t.shape, spec.shape) || t.dtype !== 'float32') {
      throw new ModelLoadError(`model: parameter "${spec.name}" is ${t.dtype} ${shapeText(t.shape)}, expected float32 ${shapeText(spec.shape)}`);
    }
    return { spec, t };
  });
  if (SYNC_READ_BACKENDS.has(tf.getBackend())) {
    return checked.map(({ spec, t }) => ({ name: spec.name, shape: spec.shape, read: () => t.dataSync() as Float32Array }));
  }
  const out: WeightReader[] = [];
  for (const { spec, t } of checked) {
    const values = (await t.data()) as Float32Array; // one read at a time, in writing order
    out.push({ name: spec.name, shape: spec.shape, read: () => values });
  }
  return out;
}

/** Backends whose `dataSync()` reads any tensor (webgpu in Node cannot read the GPU synchronously). */
const SYNC_READ_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * Writes an HF model folder (config.json, weights, tokenizer files) that transformers can load.
 *
 * The safetensors writer is synchronous and pulls each tensor's values through a callback, one
 * tensor at a time. On cpu, wasm and tensorflow that callback is `dataSync()`, so the host holds
 * one tensor's values (and its F16/BF16 conversion) at a time on top of the model. On webgpu (any
 * backend without a synchronous read) the values must come from `await t.data()`, which cannot
 * run inside the writer: every tensor is first read back, one at a time, into a Float32Array, and
 * then the writer runs. That costs one extra float32 copy of the model in host memory during the
 * save (on a discrete GPU this is the only host copy; the device copy is on the card).
 */
export async function saveModel(dir: string, cfg: ModelConfig, params: Params, opts: SaveOptions = {}): Promise<void> {
  writeModelFolder(dir, cfg.raw, await weightReaders(cfg, params), opts);
}
