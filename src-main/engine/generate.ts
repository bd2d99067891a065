/**
 * Generation with a KV cache, for exact-match evaluation (greedy) and the playground (sampling,
 * streaming, stopping).
 *
 * The prompt goes through one forward that fills the cache (prefill); then each step feeds only
 * the newest token, whose queries attend to the cached keys and values of every earlier position
 * (model.ts forwardCached). The cache holds the KV heads, not GQA's repeated ones. Plain greedy
 * reads back one int32 per step, the argmax, with the async data() (webgpu in Node has no
 * dataSync); ties go to the lowest token id, as torch.argmax does. Sampling, or greedy with a
 * repetition penalty, reads back the last position's logits [V] instead and chooses on the host
 * (engine/sampling.ts), with draws from rng(seed, 'generate'): the same seed gives the same tokens.
 * For the call's duration the projection weights are also held in [in, out] layout
 * (inputMajorWeights below): one-row matmuls against a persistent operand are several times faster
 * on wasm, at the cost of a second copy of those weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forwardCached, type InputMajor, type LayerKv, type ModelConfig, type Params } from './model.js';
import { paramSpecs } from './param-specs.js';
import { rng } from './rng.js';
import { checkSampling, GREEDY, needsLogits, pickToken, type SamplingOptions } from './sampling.js';

export interface GreedyOptions {
  /** At most this many new tokens (fewer if a stop id comes, or the model's length runs out). */
  maxNewTokens: number;
  /** Token ids that end generation; the one hit is included in the result. */
  stopIds?: readonly number[];
}

export interface GenerateOptions extends GreedyOptions {
  /** How each token is chosen; absent = greedy. */
  sampling?: SamplingOptions;
  /** Seed of the draws (default 0); unused when greedy. */
  seed?: number;
  /** Called with each new token as it comes, in order (a stop id too); return true to stop there. */
  onToken?: (id: number) => boolean | void;
  /** Aborting ends generation before the next step; the tokens so far are returned. Given, each step first lets pending events run. */
  signal?: AbortSignal;
}

/**
 * Why generation ended: a stop id came (included in ids), the token budget or the model's length
 * ran out, onToken asked to stop, or the signal was aborted.
 */
export type StopReason = 'stop-id' | 'length' | 'callback' | 'aborted';

export interface GenerateResult {
  ids: number[];
  stoppedBy: StopReason;
}

function checkArgs(cfg: ModelConfig, promptIds: readonly number[], opts: GreedyOptions): void {
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
 * Continues one prompt: returns the new token ids (stop id included if hit, then it stops) and why
 * it stopped. Stops early when prompt + new tokens would exceed cfg.maxSequenceLength; a prompt
 * longer than that is an error, and so are bad sampling options. The weights must not change while
 * it runs (it works on copies of them).
 */
export async function generate(cfg: ModelConfig, params: Params, promptIds: readonly number[], opts: GenerateOptions): Promise<GenerateResult> {
  checkArgs(cfg, promptIds, opts);
  const sampling = opts.sampling === undefined ? GREEDY : checkSampling(opts.sampling);
  const onHost = needsLogits(sampling); // else: argmax on the device, one int32 read back
  const draws = rng(opts.seed ?? 0, 'generate');
  const seen = new Set(sampling.repetitionPenalty === 1 ? [] : promptIds); // ids the penalty applies to
  const budget = Math.min(opts.maxNewTokens, cfg.maxSequenceLength - promptIds.length);
  const stops = new Set(opts.stopIds ?? []);
  const out: number[] = [];
  if (budget === 0) return { ids: out, stoppedBy: 'length' };
  const inputMajor = inputMajorWeights(cfg, params);
  let kv: LayerKv[] = []; // [numLayers] x [nKV, S, hd]
  let stoppedBy: StopReason = 'length';
  try {
    let input: readonly number[] = promptIds; // the whole prompt first, then the newest token
    while (out.length < budget) {
      // A backend whose reads resolve without a trip through the event loop (wasm, cpu) would keep
      // the abort, which arrives as an event (a worker's message, Ctrl-C), out until the end.
      if (opts.signal !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.signal?.aborted) {
        stoppedBy = 'aborted';
        break;
      }
      const step = tf.tidy(() => {
        const ids = tf.tensor2d(Int32Array.from(input), [1, input.length], 'int32'); // [1, T]
        const r = forwardCached(cfg, params, ids, kv, { lastOnly: true, inputMajor }); // logits [1, 1, V]
        const row = tf.reshape(r.logits, [cfg.vocabSize]); // [V]
        return { next: onHost ? row : tf.argMax(row), kv: r.kv }; // next: float32 [V] or int32 []
      });
      disposeKv(kv);
      kv = step.kv;
      let id: number;
      try {
        const data = await step.next.data();
        id = onHost ? pickToken(data as Float32Array, seen, sampling, draws) : data[0];
      } finally {
        step.next.dispose();
      }
      out.push(id);
      if (sampling.repetitionPenalty !== 1) seen.add(id);
      const halt = opts.onToken?.(id) === true;
      if (stops.has(id)) {
        stoppedBy = 'stop-id';
        break;
      }
      if (halt) {
        stoppedBy = 'callback';
        break;
      }
      input = [id];
    }
  } finally {
    disposeKv(kv);
    disposeInputMajor(inputMajor);
  }
  return { ids: out, stoppedBy };
}

/** Greedy continuation of one prompt (exact-match evaluation): generate's ids with greedy settings. */
export async function generateGreedy(cfg: ModelConfig, params: Params, promptIds: readonly number[], opts: GreedyOptions): Promise<number[]> {
  return (await generate(cfg, params, promptIds, { maxNewTokens: opts.maxNewTokens, stopIds: opts.stopIds })).ids;
}
