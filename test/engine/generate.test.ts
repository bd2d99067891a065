/**
 * Greedy generation with a KV cache (engine/generate.ts, model.ts forwardCached) against the
 * naive way: argmax of the full, uncached forward over the growing sequence, picked on the host
 * (lowest id on ties, as torch.argmax). Random small models (MHA, GQA, MQA, qwen2 biases, several
 * rope_theta) and the committed PyTorch fixture models; per-position logits of the cached path
 * against the full forward (with and without the [in, out] weight copies generation uses); stop
 * ids; the maximum sequence length; argmax ties; no tensor leaks.
 * generate() with sampling: against the naive loop choosing with sampling.ts on the host (the same
 * seeded stream), seed reproducibility, top_k 1 = greedy, a repetition penalty applied by hand,
 * onToken order and stopping, abort, stop reasons, no leaks.
 * On cpu and wasm.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { disposeInputMajor, generate, generateGreedy, inputMajorWeights } from '../../src-main/engine/generate.js';
import { loadModel } from '../../src-main/engine/load.js';
import { forward, forwardCached, type LayerKv, type ModelConfig, type Params } from '../../src-main/engine/model.js';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { rng } from '../../src-main/engine/rng.js';
import { checkSampling, pickToken, type SamplingOptions } from '../../src-main/engine/sampling.js';
import { parseHfConfig } from '../../src-main/formats/hf-config.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/engine');
const FIXTURE_MODELS = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'expected.json'))).sort();
const TOL = 1e-5;

/** A small HF config.json; `extra` overrides. */
function config(extra: Record<string, unknown>): ModelConfig {
  return parseHfConfig({
    model_type: 'llama',
    vocab_size: 97,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    max_position_embeddings: 40,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
    ...extra,
  });
}

const CONFIGS: Record<string, ModelConfig> = {
  'llama MHA': config({}),
  'llama GQA tied, theta 1e6': config({ num_key_value_heads: 2, tie_word_embeddings: true, rope_theta: 1e6 }),
  'mistral MQA, theta 500': config({ model_type: 'mistral', num_key_value_heads: 1, rope_theta: 500, num_hidden_layers: 3 }),
  'qwen2 biases GQA, theta 1e6': config({ model_type: 'qwen2', num_key_value_heads: 2, rope_theta: 1e6 }),
};

/**
 * Seeded random weights with O(1) activations and peaked logits: matrices N(0, 1/in), norms
 * around 1, biases large enough that dropping one changes the output.
 */
function randomParams(cfg: ModelConfig, seed: number): Params {
  return Object.fromEntries(
    paramSpecs(cfg).map((s, i) => {
      const r = seed * 1000 + i;
      let t: tf.Tensor;
      if (s.shape.length === 1 && s.name.endsWith('norm.weight')) t = tf.add(1, tf.randomNormal(s.shape, 0, 0.1, 'float32', r));
      else if (s.shape.length === 1) t = tf.randomNormal(s.shape, 0, 0.5, 'float32', r); // q/k/v bias
      else if (s.kind === 'embed') t = tf.randomNormal(s.shape, 0, 1, 'float32', r);
      else t = tf.randomNormal(s.shape, 0, (s.kind === 'lm_head' ? 3 : 1) / Math.sqrt(s.shape[1]), 'float32', r);
      return [s.name, t];
    }),
  );
}

/** Index of the largest value, the first one on ties (torch.argmax). */
function hostArgmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Greedy without a cache: the full forward over the whole sequence for every new token. */
async function naiveGreedy(cfg: ModelConfig, params: Params, prompt: readonly number[], n: number): Promise<number[]> {
  const seq = [...prompt];
  for (let k = 0; k < n; k++) {
    const logits = tf.tidy(() => tf.slice(forward(cfg, params, tf.tensor2d([seq], [1, seq.length], 'int32')), [0, seq.length - 1, 0], [1, 1, -1]));
    seq.push(hostArgmax(await logits.data()));
    logits.dispose();
  }
  return seq.slice(prompt.length);
}

/** The last position's logits [V] of the full, uncached forward over `seq`. */
async function lastLogits(cfg: ModelConfig, params: Params, seq: readonly number[]): Promise<Float32Array> {
  const logits = tf.tidy(() => tf.slice(forward(cfg, params, tf.tensor2d([[...seq]], [1, seq.length], 'int32')), [0, seq.length - 1, 0], [1, 1, -1]));
  const row = (await logits.data()) as Float32Array;
  logits.dispose();
  return row;
}

/** Sampling without a cache: the full forward per token, the choice by sampling.ts on the draw stream generate uses. */
async function naiveSample(cfg: ModelConfig, params: Params, prompt: readonly number[], n: number, sampling: SamplingOptions, seed: number): Promise<number[]> {
  const s = checkSampling(sampling);
  const r = rng(seed, 'generate');
  const seq = [...prompt];
  for (let k = 0; k < n; k++) seq.push(pickToken(await lastLogits(cfg, params, seq), seq, s, r));
  return seq.slice(prompt.length);
}

/** Greedy with a repetition penalty applied here, by hand: seen positive logits / p, negative ones * p. */
async function naivePenalised(cfg: ModelConfig, params: Params, prompt: readonly number[], n: number, p: number): Promise<number[]> {
  const seq = [...prompt];
  for (let k = 0; k < n; k++) {
    const row = Array.from(await lastLogits(cfg, params, seq));
    for (const id of new Set(seq)) row[id] = row[id] < 0 ? row[id] * p : row[id] / p;
    seq.push(hostArgmax(row));
  }
  return seq.slice(prompt.length);
}

/** Number of tokens equal to an earlier token of the same list. */
const repeats = (ids: readonly number[]) => ids.length - new Set(ids).size;

/** Deterministic prompt of n ids in [0, vocab). */
const promptOf = (n: number, vocab: number, salt = 0) => Array.from({ length: n }, (_, i) => (i * 37 + salt * 11 + 5) % vocab);

/** Fails unless max |a - e| / max(|e|, 1) <= TOL; returns that maximum. */
function maxRelDiff(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1));
  if (!(worst <= TOL)) throw new Error(`${label}: max rel diff ${worst} > ${TOL}`);
  return worst;
}

const report: string[] = [];
afterAll(() => console.log(`cached vs full forward logits\n${report.join('\n')}`));

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`generateGreedy on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });

    describe.each(Object.keys(CONFIGS))('%s', (name) => {
      const cfg = CONFIGS[name];
      let params: Params;
      beforeAll(() => void (params = randomParams(cfg, Object.keys(CONFIGS).indexOf(name) + 1)));
      afterAll(() => tf.dispose(Object.values(params)));

      it('equals naive greedy (full forward per token, no cache)', async () => {
        for (const [len, salt] of [[1, 0], [7, 1]]) {
          const prompt = promptOf(len, cfg.vocabSize, salt);
          const want = await naiveGreedy(cfg, params, prompt, 12);
          expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 12 })).toEqual(want);
        }
      });

      it.each([false, true])('gives the full forward logits at every position, in chunks of 4, 3, 1, 1, 1 (input-major weights: %s)', (useIm) => {
        const seq = promptOf(10, cfg.vocabSize, 2);
        const full = tf.tidy(() => forward(cfg, params, tf.tensor2d([seq], [1, 10], 'int32')));
        const inputMajor = useIm ? inputMajorWeights(cfg, params) : undefined;
        let kv: LayerKv[] = [];
        const rows: number[] = [];
        let at = 0;
        for (const n of [4, 3, 1, 1, 1]) {
          const ids = tf.tensor2d([seq.slice(at, at + n)], [1, n], 'int32');
          const r = forwardCached(cfg, params, ids, kv, { inputMajor });
          at += n;
          expect(r.logits.shape).toEqual([1, n, cfg.vocabSize]);
          // The cache holds the KV heads only: [nKV, S, hd] per layer, S = positions so far.
          expect(r.kv.map((l) => [l.k.shape, l.v.shape])).toEqual(Array(cfg.numLayers).fill(Array(2).fill([cfg.numKvHeads, at, cfg.headDim])));
          const last = forwardCached(cfg, params, ids, kv, { lastOnly: true, inputMajor });
          expect(last.logits.shape).toEqual([1, 1, cfg.vocabSize]);
          maxRelDiff(`${name} lastOnly`, last.logits.dataSync(), r.logits.dataSync().slice((n - 1) * cfg.vocabSize));
          rows.push(...r.logits.dataSync());
          tf.dispose([ids, r.logits, last.logits, ...last.kv.flatMap((l) => [l.k, l.v]), ...kv.flatMap((l) => [l.k, l.v])]);
          kv = r.kv;
        }
        const worst = maxRelDiff(`${name} logits`, rows, full.dataSync());
        report.push(`${backend} ${name.padEnd(28)} ${useIm ? 'input-major' : '[out, in]   '} max rel diff ${worst.toExponential(2)}`);
        tf.dispose([full, ...kv.flatMap((l) => [l.k, l.v])]);
        if (inputMajor) disposeInputMajor(inputMajor);
      });
    });

    describe('on the PyTorch fixture models', () => {
      it.each(FIXTURE_MODELS)('%s: equals naive greedy', async (name) => {
        const { cfg, params } = loadModel(join(FIXTURES, name));
        const prompt = promptOf(4, cfg.vocabSize, 3);
        const n = cfg.maxSequenceLength - prompt.length;
        expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 100 })).toEqual(await naiveGreedy(cfg, params, prompt, n));
        tf.dispose(Object.values(params));
      });
    });

    describe('stopping and limits', () => {
      const cfg = config({ max_position_embeddings: 12, model_type: 'qwen2', num_key_value_heads: 2 });
      let params: Params;
      beforeAll(() => void (params = randomParams(cfg, 9)));
      afterAll(() => tf.dispose(Object.values(params)));

      it('stops at the first stop id, and includes it', async () => {
        const prompt = promptOf(2, cfg.vocabSize);
        const want = await naiveGreedy(cfg, params, prompt, 10);
        const j = want.findIndex((id, i) => i >= 2 && !want.slice(0, i).includes(id));
        expect(j, `no fresh token in ${want}`).toBeGreaterThanOrEqual(2);
        const never = Array.from({ length: cfg.vocabSize }, (_, i) => i).find((i) => !want.includes(i))!;
        expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 10, stopIds: [never, want[j]] })).toEqual(want.slice(0, j + 1));
        expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 10, stopIds: [want[0]] })).toEqual([want[0]]);
        expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 10, stopIds: [never] })).toEqual(want);
        expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 3, stopIds: [want[j]] })).toEqual(want.slice(0, 3));
      });

      it('never goes past the maximum sequence length, and refuses a longer prompt', async () => {
        expect(await generateGreedy(cfg, params, promptOf(5, 97), { maxNewTokens: 100 })).toEqual(await naiveGreedy(cfg, params, promptOf(5, 97), 7));
        expect(await generateGreedy(cfg, params, promptOf(11, 97), { maxNewTokens: 100 })).toHaveLength(1);
        expect(await generateGreedy(cfg, params, promptOf(12, 97), { maxNewTokens: 100 })).toEqual([]);
        expect(await generateGreedy(cfg, params, promptOf(5, 97), { maxNewTokens: 0 })).toEqual([]);
        await expect(generateGreedy(cfg, params, promptOf(13, 97), { maxNewTokens: 1 })).rejects.toThrow(
          /^the prompt has 13 tokens, more than the model's maximum sequence length of 12$/,
        );
        // mistral's sliding window bounds the length the engine computes exactly.
        const windowed = config({ model_type: 'mistral', sliding_window: 9 });
        const wp = randomParams(windowed, 10);
        expect(await generateGreedy(windowed, wp, promptOf(5, 97), { maxNewTokens: 100 })).toHaveLength(4);
        tf.dispose(Object.values(wp));
      });

      it('refuses an empty prompt, ids outside the vocabulary and a bad maxNewTokens', async () => {
        await expect(generateGreedy(cfg, params, [], { maxNewTokens: 1 })).rejects.toThrow(/empty prompt/);
        await expect(generateGreedy(cfg, params, [3, 97], { maxNewTokens: 1 })).rejects.toThrow(/token 97 at position 1 is outside the vocabulary \[0, 97\)/);
        await expect(generateGreedy(cfg, params, [3, 1.5], { maxNewTokens: 1 })).rejects.toThrow(/token 1.5 at position 1/);
        await expect(generateGreedy(cfg, params, [3], { maxNewTokens: -1 })).rejects.toThrow(/maxNewTokens must be a whole number/);
      });

      it('breaks argmax ties towards the lowest id', async () => {
        // lm_head rows in equal pairs (2i, 2i+1): every logit ties with its neighbour, so greedy
        // must only ever pick even ids.
        const V = cfg.vocabSize;
        const pairs = tf.tidy(() => tf.gather(params['lm_head.weight'], tf.tensor1d(Array.from({ length: V }, (_, i) => i - (i % 2)), 'int32')));
        const tied = { ...params, 'lm_head.weight': pairs };
        const out = await generateGreedy(cfg, tied, promptOf(3, V), { maxNewTokens: 9 });
        expect(out).toEqual(await naiveGreedy(cfg, tied, promptOf(3, V), 9));
        expect(out.filter((id) => id % 2 === 1)).toEqual([]);
        pairs.dispose();
      });

      it('samples as the naive loop does with the same seed; the same seed gives the same tokens', async () => {
        const prompt = promptOf(3, cfg.vocabSize, 4);
        const sampling = { temperature: 1.3, topK: 40, topP: 0.95, repetitionPenalty: 1.2 };
        const want = await naiveSample(cfg, params, prompt, 9, sampling, 5);
        const got = await generate(cfg, params, prompt, { maxNewTokens: 9, sampling, seed: 5 });
        expect(got).toEqual({ ids: want, stoppedBy: 'length' });
        expect((await generate(cfg, params, prompt, { maxNewTokens: 9, sampling, seed: 5 })).ids).toEqual(want);
        const others = await Promise.all([6, 7, 8].map(async (seed) => (await generate(cfg, params, prompt, { maxNewTokens: 9, sampling, seed })).ids));
        expect(others.some((ids) => ids.join() !== want.join()), 'three other seeds all gave the same tokens').toBe(true);
      });

      it('equals greedy with top_k 1, with temperature 0, and without sampling options', async () => {
        const prompt = promptOf(4, cfg.vocabSize, 5);
        const greedy = await generateGreedy(cfg, params, prompt, { maxNewTokens: 8 });
        for (const sampling of [{ temperature: 2, topK: 1 }, { temperature: 0, topP: 0.3 }, { temperature: 0.9, doSample: false }, undefined]) {
          expect((await generate(cfg, params, prompt, { maxNewTokens: 8, sampling, seed: 3 })).ids, JSON.stringify(sampling)).toEqual(greedy);
        }
      });

      it('applies a repetition penalty to prompt and output tokens, and repeats less for it', async () => {
        const prompt = promptOf(2, cfg.vocabSize, 6);
        const plain = await generateGreedy(cfg, params, prompt, { maxNewTokens: 10 });
        const want = await naivePenalised(cfg, params, prompt, 10, 3);
        const got = await generate(cfg, params, prompt, { maxNewTokens: 10, sampling: { temperature: 0, repetitionPenalty: 3 } });
        expect(got.ids).toEqual(want);
        expect(want, 'the penalty should change this greedy output').not.toEqual(plain);
        expect(repeats([...prompt, ...want])).toBeLessThan(repeats([...prompt, ...plain]));
      });

      it('streams each token to onToken in order, and stops when it returns true or at a stop id', async () => {
        const prompt = promptOf(3, cfg.vocabSize, 7);
        const sampling = { temperature: 1, topP: 0.9 };
        const full = await generate(cfg, params, prompt, { maxNewTokens: 8, sampling, seed: 1 });
        const seenIds: number[] = [];
        const streamed = await generate(cfg, params, prompt, { maxNewTokens: 8, sampling, seed: 1, onToken: (id) => void seenIds.push(id) });
        expect(seenIds).toEqual(full.ids);
        expect(streamed).toEqual(full);
        const firstThree: number[] = [];
        const cut = await generate(cfg, params, prompt, { maxNewTokens: 8, sampling, seed: 1, onToken: (id) => firstThree.push(id) === 3 });
        expect(cut).toEqual({ ids: full.ids.slice(0, 3), stoppedBy: 'callback' });
        expect(firstThree).toEqual(full.ids.slice(0, 3));
        const j = full.ids.findIndex((id, i) => !full.ids.slice(0, i).includes(id) && i > 0);
        const stopped = await generate(cfg, params, prompt, { maxNewTokens: 8, sampling, seed: 1, stopIds: [full.ids[j]] });
        expect(stopped).toEqual({ ids: full.ids.slice(0, j + 1), stoppedBy: 'stop-id' });
        // Both at once: the stop id is the reason.
        expect((await generate(cfg, params, prompt, { maxNewTokens: 8, sampling, seed: 1, stopIds: [full.ids[0]], onToken: () => true })).stoppedBy).toBe('stop-id');
      });

      it('ends before the next step once the signal is aborted, and refuses bad sampling options', async () => {
        const prompt = promptOf(3, cfg.vocabSize, 8);
        const all = await generateGreedy(cfg, params, prompt, { maxNewTokens: 6 });
        const ctl = new AbortController();
        const got = await generate(cfg, params, prompt, { maxNewTokens: 6, signal: ctl.signal, onToken: (id) => void (id === all[1] && ctl.abort()) });
        expect(got).toEqual({ ids: all.slice(0, 2), stoppedBy: 'aborted' });
        expect(await generate(cfg, params, prompt, { maxNewTokens: 6, signal: AbortSignal.abort() })).toEqual({ ids: [], stoppedBy: 'aborted' });
        await expect(generate(cfg, params, prompt, { maxNewTokens: 6, sampling: { topP: 2 } })).rejects.toThrow(/^top_p must be a number above 0 and at most 1/);
      });

      it('leaks no tensors, also when it fails', async () => {
        const prompt = promptOf(4, cfg.vocabSize);
        await generateGreedy(cfg, params, prompt, { maxNewTokens: 1 }); // warm-up: backends cache a few tensors once
        const before = tf.memory().numTensors;
        // Called bare, not in tf.tidy: anything generateGreedy leaves alive shows in the count.
        expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 8 })).toHaveLength(8);
        expect(tf.memory().numTensors).toBe(before);
        const first = (await generateGreedy(cfg, params, prompt, { maxNewTokens: 1 }))[0];
        expect(await generateGreedy(cfg, params, prompt, { maxNewTokens: 8, stopIds: [first] })).toEqual([first]);
        expect(tf.memory().numTensors).toBe(before);
        // The sampling path reads the logits back instead of the argmax.
        expect((await generate(cfg, params, prompt, { maxNewTokens: 8, sampling: { temperature: 0.8, topK: 5 }, seed: 2 })).ids).toHaveLength(8);
        expect(tf.memory().numTensors).toBe(before);
        // A missing norm fails inside the prefill (weight copies made); a missing projection fails
        // while the copies are made.
        for (const name of ['model.layers.1.post_attention_layernorm.weight', 'model.layers.1.mlp.down_proj.weight']) {
          const broken = { ...params };
          delete broken[name];
          await expect(generateGreedy(cfg, broken, prompt, { maxNewTokens: 8 })).rejects.toThrow(`"${name}" is missing`);
          expect(tf.memory().numTensors).toBe(before);
        }
      });
    });
  });
}
