/**
 * Greedy decoding with a KV cache, for exact-match evaluation and the playground.
 *
 * The prompt goes through one forward that fills the cache (prefill); then each step feeds only
 * the newest token, whose queries attend to the cached keys and values of every earlier position
 * (model.ts forwardCached). The cache holds the KV heads, not GQA's repeated ones. Each step reads
 * back one int32, the argmax, with the async data() (webgpu in Node has no dataSync); ties go to
 * the lowest token id, as torch.argmax does. For the call's duration the projection weights are
 * also held in [in, out] layout (inputMajorWeights below): one-row matmuls against a persistent
 * operand are several times faster on wasm, at the cost of a second copy of those weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forwardCached, type InputMajor, type LayerKv, type ModelConfig, type Params } from './model.js';
import { paramSpecs } from './param-specs.js';

export interface GenerateOptions {
  /** At most this many new tokens (fewer if a stop id comes, or the model's length runs out). */
  maxNewTokens: number;
  /** Token ids that end generation; the one hit is included in the result. */
  stopIds?: readonly number[];
}

function checkArgs(cfg: ModelConfig, promptIds: readonly number[], opts: GenerateOptions): void {
  const max = cfg.maxSequenceLength;
  if (promptIds.length === 0) throw new Error('cannot generate from an empty prompt: it needs at least one token');
  if (promptIds.length > max) {
    throw new Error(`the prompt has ${promptIds.length} tokens, more than the model's maximum sequence length of ${max}`);
  }
  const bad = promptIds.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= cfg.vocabSize);
  if (bad >= 0) {
    throw new Error(`prompt token ${promptIds[bad]} at position ${bad} is outside the vocabulary [0, ${cfg.vocabSize})`);
  }
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) {
    throw new Error(`maxNewTokens must be a whole number of at least 0, got ${opts.maxNewTokens}`);
  }
}

/**
 * [in, out] copies of every projection weight and of the head (the embedding when tied), for
 * forwardCached's `inputMajor`. New tensors the caller disposes (disposeInputMajor); they copy the
 * values of the moment, so make them again after the weights change.
 */
export function inputMajorWeights(cfg: ModelConfig, params: Params): InputMajor {
  const out = new Map<tf.Tensor, tf.Tensor>();
  try {
    for (const s of paramSpecs(cfg)) {
      if (s.shape.length !== 2 || (s.kind === 'embed' && !cfg.tieWordEmbeddings)) continue;
      const w = params[s.name];
      if (w === undefined) throw new Error(`model parameter "${s.name}" is missing`);
      out.set(w, tf.transpose(w)); // [out, in] -> [in, out]
    }
  } catch (err) {
    disposeInputMajor(out);
    throw err;
  }
  return out;
}

export const disposeInputMajor = (im: InputMajor): void => tf.dispose([...im.values()]);

const disposeKv = (kv: readonly LayerKv[]) => tf.dispose(kv.flatMap((l) => [l.k, l.v]));

/**
 * Greedy continuation of one prompt: returns the new token ids (stop id included if hit, then it
 * stops). Stops early when prompt + new tokens would exceed cfg.maxSequenceLength; a prompt longer
 * than that is an error. The weights must not change while it runs (it works on copies of them).
 */
export async function generateGreedy(
  cfg: ModelConfig,
  params: Params,
  promptIds: readonly number[],
  opts: GenerateOptions,
): Promise<number[]> {
  checkArgs(cfg, promptIds, opts);
  const budget = Math.min(opts.maxNewTokens, cfg.maxSequenceLength - promptIds.length);
  const stops = new Set(opts.stopIds ?? []);
  const out: number[] = [];
  if (budget === 0) return out;
  const inputMajor = inputMajorWeights(cfg, params);
  let kv: LayerKv[] = []; // [numLayers] x [nKV, S, hd]
  try {
    let input: readonly number[] = promptIds; // the whole prompt first, then the newest token
    while (out.length < budget) {
      const step = tf.tidy(() => {
        const ids = tf.tensor2d(Int32Array.from(input), [1, input.length], 'int32'); // [1, T]
        const r = forwardCached(cfg, params, ids, kv, { lastOnly: true, inputMajor }); // logits [1, 1, V]
        return { next: tf.argMax(tf.reshape(r.logits, [cfg.vocabSize])), kv: r.kv }; // next: int32 []
      });
      disposeKv(kv);
      kv = step.kv;
      let id: number;
      try {
        id = (await step.next.data())[0];
      } finally {
        step.next.dispose();
      }
      out.push(id);
      if (stops.has(id)) break;
      input = [id];
    }
  } finally {
    disposeKv(kv);
    disposeInputMajor(inputMajor);
  }
  return out;
}
