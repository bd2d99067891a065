/**
 * Next-token choice from one position's logits, as Hugging Face Transformers' generate() makes it.
 *
 * Processors in generate()'s order (transformers generation/logits_process.py):
 *   1. repetition penalty (RepetitionPenaltyLogitsProcessor): every id already in prompt + generated,
 *      once however often it occurs: score < 0 ? score * p : score / p;
 *   2. temperature (TemperatureLogitsWarper): scores / T;
 *   3. top-k (TopKLogitsWarper): keep scores >= the k-th largest (ties with it are all kept);
 *   4. top-p (TopPLogitsWarper): sorted ascending, tokens whose cumulative probability is
 *      <= 1 - top_p are removed, the most likely one never;
 * then softmax (removed tokens are -inf: probability 0) and one draw from a seeded Rng. Greedy
 * (temperature 0, or doSample false) applies only the repetition penalty, as transformers does with
 * do_sample=False, and takes the argmax: the lowest id on ties, as torch.argmax and the engine's
 * on-device greedy. An option left at its neutral value (temperature 1, top_k 0, top_p 1, penalty 1)
 * is skipped, as generate() skips its processor.
 *
 * Pure functions on Float32Array logits of vocabulary size [V]: no tfjs. Processed scores stay
 * float32, as in torch; the softmax and sums are float64.
 */
import type { Rng } from './rng.js';

export interface SamplingOptions {
  /** Divides the logits; 0 = greedy (default 1, used when sampling). */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 = off (default). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches top_p; 1 = off (default). */
  topP?: number;
  /** > 1 discourages tokens already in prompt + output, < 1 encourages them; 1 = off (default). */
  repetitionPenalty?: number;
  /** false = greedy whatever the other options say (default: sample unless temperature is 0). */
  doSample?: boolean;
}

/** SamplingOptions checked, with the defaults filled in. */
export interface Sampling {
  greedy: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
}

export const GREEDY: Sampling = { greedy: true, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 };

/** Checks the options and fills in defaults; throws one plain-words Error for the first bad one. */
export function checkSampling(opts: SamplingOptions = {}): Sampling {
  const { temperature = 1, topK = 0, topP = 1, repetitionPenalty = 1, doSample } = opts;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new Error(`temperature must be a number >= 0 (0 = greedy), got ${temperature}`);
  }
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0) {
    throw new Error(`top_k must be a whole number >= 0 (0 = off), got ${topK}`);
  }
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) {
    throw new Error(`top_p must be a number above 0 and at most 1 (1 = off), got ${topP}`);
  }
  if (typeof repetitionPenalty !== 'number' || !Number.isFinite(repetitionPenalty) || !(repetitionPenalty > 0)) {
    throw new Error(`the repetition penalty must be a number above 0 (1 = off), got ${repetitionPenalty}`);
  }
  return { greedy: doSample === false || temperature === 0, temperature, topK, topP, repetitionPenalty };
}

/** True when the choice needs the logits on the host (anything but a plain argmax). */
export const needsLogits = (s: Sampling): boolean => !s.greedy || s.repetitionPenalty !== 1;

/**
 * The processed scores [V]: a new float32 array, -Infinity where a token is removed. `seen` holds
 * the ids of prompt + generated so far (only the repetition penalty reads it).
 */
export function processLogits(logits: Float32Array, seen: Iterable<number>, s: Sampling): Float32Array {
  const scores = Float32Array.from(logits);
  if (s.repetitionPenalty !== 1) {
    const p = s.repetitionPenalty;
    // A Set: an id seen twice is penalised once (torch's gather/scatter writes the same value twice).
    for (const id of new Set(seen)) {
      if (id < 0 || id >= scores.length) continue;
      const v = logits[id];
      scores[id] = v < 0 ? v * p : v / p;
    }
  }
  if (s.greedy) return scores;
  if (s.temperature !== 1) for (let i = 0; i < scores.length; i++) scores[i] = scores[i] / s.temperature;
  if (s.topK > 0) keepTopK(scores, Math.min(s.topK, scores.length));
  if (s.topP < 1) keepTopP(scores, s.topP);
  return scores;
}

/** In place: -Infinity below the k-th largest score (torch.topk(scores, k)[0][-1]). */
function keepTopK(scores: Float32Array, k: number): void {
  if (k >= scores.length) return;
  const threshold = kthLargest(scores, k);
  for (let i = 0; i < scores.length; i++) if (scores[i] < threshold) scores[i] = -Infinity;
}

/** The k-th largest value (1-based), counting repeats: a size-k min-heap, O(V log k). */
function kthLargest(values: Float32Array, k: number): number {
  const heap = new Float64Array(k);
  let n = 0;
  const siftDown = (at: number): void => {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let m = at;
      if (l < n && heap[l] < heap[m]) m = l;
      if (r < n && heap[r] < heap[m]) m = r;
      if (m === at) return;
      [heap[at], heap[m]] = [heap[m], heap[at]];
      at = m;
    }
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (n < k) {
      let at = n++;
      heap[at] = v;
      while (at > 0 && heap[(at - 1) >> 1] > heap[at]) {
        const up = (at - 1) >> 1;
        [heap[at], heap[up]] = [heap[up], heap[at]];
        at = up;
      }
    } else if (v > heap[0]) {
      heap[0] = v;
      siftDown(0);
    }
  }
  return heap[0];
}

/**
 * In place: TopPLogitsWarper. Sorted ascending (ties by id, as a stable sort), a token is removed
 * when the cumulative probability up to and including it is <= 1 - topP; the last one never is.
 * The cumulative sum only grows, so the removed tokens are a prefix of that order: everything below
 * a threshold score t, and the lowest ids among those equal to t. Only tokens with probability
 * >= (1 - topP) / V are sorted (a native float sort: a 150k vocabulary takes milliseconds): below
 * that, even V such tokens hold less than 1 - topP, so the cumulative sum at each of them is
 * <= 1 - topP and it goes; their mass starts the cumulative sum, as in the full ascending sort.
 */
function keepTopP(scores: Float32Array, topP: number): void {
  const V = scores.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (scores[i] > max) max = scores[i];
  const probs = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += probs[i] = scores[i] === -Infinity ? 0 : Math.exp(scores[i] - max);
  for (let i = 0; i < V; i++) probs[i] /= sum;
  const cut = 1 - topP;
  const floor = cut / V;
  let cum = 0; // mass of the tokens below the floor: the start of the ascending cumulative sum
  let n = 0;
  for (let i = 0; i < V; i++) {
    if (probs[i] >= floor) n++;
    else cum += probs[i];
  }
  const sorted = new Float32Array(n);
  for (let i = 0, j = 0; i < V; i++) if (probs[i] >= floor) sorted[j++] = scores[i];
  sorted.sort();
  let removed = 0; // leading positions of the sorted candidates that go
  for (let j = 0; j < n - 1; j++) {
    cum += Math.exp(sorted[j] - max) / sum;
    if (cum > cut) break;
    removed = j + 1;
  }
  const t = removed > 0 ? sorted[removed - 1] : -Infinity;
  let tiesToRemove = removed > 0 ? removed - sorted.indexOf(t) : 0; // candidates equal to t that go, lowest ids first
  for (let i = 0; i < V; i++) {
    const v = scores[i];
    if (probs[i] < floor || v < t) scores[i] = -Infinity;
    else if (v === t && tiesToRemove > 0) {
      scores[i] = -Infinity;
      tiesToRemove--;
    }
  }
}

/** Softmax [V] in float64; -Infinity scores get probability 0. */
export function softmax(scores: Float32Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  const out = new Float64Array(scores.length);
  if (max === -Infinity) throw new Error('every token was removed: no probability left to sample from');
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = scores[i] === -Infinity ? 0 : Math.exp(scores[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Index of the largest value; the lowest index on ties (torch.argmax). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The next-token distribution [V] the draw uses: one-hot on the argmax when greedy. For tests and
 * for showing the choice; pickToken does not build it when greedy.
 */
export function nextTokenProbs(logits: Float32Array, seen: Iterable<number>, s: Sampling): Float64Array {
  const scores = processLogits(logits, seen, s);
  if (!s.greedy) return softmax(scores);
  const out = new Float64Array(scores.length);
  out[argmax(scores)] = 1;
  return out;
}

/** One draw from `probs` [V] (sums to 1 up to rounding), by inverse CDF in id order. */
export function drawFrom(probs: Float64Array, r: Rng): number {
  let total = 0;
  for (let i = 0; i < probs.length; i++) total += probs[i];
  const u = r.next() * total;
  let cum = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return i;
  }
  return last; // u fell in the rounding gap at the very top: the last token with any probability
}

/** The next token: the argmax when greedy (after any repetition penalty), else one seeded draw. */
export function pickToken(logits: Float32Array, seen: Iterable<number>, s: Sampling, r: Rng): number {
  const scores = processLogits(logits, seen, s);
  return s.greedy ? argmax(scores) : drawFrom(softmax(scores), r);
}
