/**
 * engine/sampling.ts against Hugging Face Transformers' logits processors as re-written in torch by
 * test/fixtures/make_sampling_fixtures.py (repetition penalty, temperature, top-k, top-p, softmax;
 * greedy = argmax after the penalty), within 1e-6 per probability; tie rules and penalty signs
 * against hand-derived values; option checks; and the sampler's draws against the probabilities
 * (chi-square over many seeded draws), plus seed reproducibility.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng } from '../../src-main/engine/rng.js';
import { checkSampling, drawFrom, GREEDY, needsLogits, nextTokenProbs, pickToken, processLogits, softmax } from '../../src-main/engine/sampling.js';

interface Case {
  name: string;
  vocab: number;
  logits: number[];
  inputIds: number[];
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  greedy: boolean;
  probs: number[];
}

const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/sampling/processors.json'), 'utf8')) as { cases: Case[] };

const settings = (c: Case) =>
  checkSampling({ temperature: c.temperature, topK: c.topK, topP: c.topP, repetitionPenalty: c.repetitionPenalty, doSample: !c.greedy });

describe('next-token probabilities match transformers (torch reference)', () => {
  it('has the fixture cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const logits = Float32Array.from(c.logits);
    expect(logits.length).toBe(c.vocab);
    const probs = nextTokenProbs(logits, c.inputIds, settings(c));
    let worst = 0;
    for (let i = 0; i < c.vocab; i++) worst = Math.max(worst, Math.abs(probs[i] - c.probs[i]));
    expect(worst).toBeLessThanOrEqual(1e-6);
    // Removed tokens are exactly 0 on both sides: the same set survives.
    expect([...probs].map((p) => p > 0)).toEqual(c.probs.map((p) => p > 0));
  });
});

describe('processors by hand', () => {
  const f32 = (xs: number[]) => Float32Array.from(xs);

  it('repetition penalty divides positive scores and multiplies negative ones, once per id', () => {
    const s = checkSampling({ repetitionPenalty: 2 });
    const out = processLogits(f32([4, -4, 1, 0]), [0, 1, 1, 1, 3], s);
    expect([...out]).toEqual([2, -8, 1, 0]);
    expect([...processLogits(f32([4, -4]), [0, 1], checkSampling({ repetitionPenalty: 0.5 }))]).toEqual([8, -2]);
  });

  it('top-k keeps every token tied with the k-th largest', () => {
    const out = processLogits(f32([1, 3, 2, 2, 0, 2]), [], checkSampling({ topK: 2 }));
    expect([...out]).toEqual([-Infinity, 3, 2, 2, -Infinity, 2]);
    expect([...processLogits(f32([1, 3]), [], checkSampling({ topK: 5 }))]).toEqual([1, 3]);
  });

  it('top-p removes tokens while the ascending cumulative probability is <= 1 - top_p, keeping the top one', () => {
    // probs 0.1, 0.2, 0.3, 0.4 (log-probs as logits): ascending cumulative 0.1, 0.3, 0.6, 1.0.
    const logits = f32([0.1, 0.2, 0.3, 0.4].map(Math.log));
    const kept = (p: number) => [...nextTokenProbs(logits, [], checkSampling({ topP: p }))].map((x) => x > 0);
    expect(kept(0.75)).toEqual([false, true, true, true]); // 1 - 0.75 = 0.25: 0.1 goes, 0.3 stays
    expect(kept(0.65)).toEqual([false, false, true, true]); // 0.35: 0.1 and 0.3 go
    expect(kept(0.35)).toEqual([false, false, false, true]); // 0.65: 0.1, 0.3 and 0.6 go
    expect(kept(0.01)).toEqual([false, false, false, true]);
    expect(kept(1)).toEqual([true, true, true, true]);
  });

  it('top-p sorts tied tokens by id (a stable sort): the lower id goes first', () => {
    // Three equal tokens of 1/3 and top_p 0.5: cumulative 1/3, 2/3, 1 -> the first in order goes.
    const probs = nextTokenProbs(f32([0, 0, 0]), [], checkSampling({ topP: 0.5 }));
    expect([...probs].map((p) => p > 0)).toEqual([false, true, true]);
  });

  it('greedy takes the lowest id among equal maxima, and ignores temperature, top-k and top-p', () => {
    const s = checkSampling({ temperature: 0, topK: 1, topP: 0.1 });
    expect(s.greedy).toBe(true);
    expect(pickToken(f32([1, 5, 5, 2]), [], s, rng(0))).toBe(1);
    expect(pickToken(f32([1, 5, 5, 2]), [1], checkSampling({ temperature: 0, repetitionPenalty: 2 }), rng(0))).toBe(2);
    expect(checkSampling({ temperature: 0.7, doSample: false }).greedy).toBe(true);
    expect(needsLogits(GREEDY)).toBe(false);
    expect(needsLogits(checkSampling({ temperature: 0, repetitionPenalty: 1.1 }))).toBe(true);
    expect(needsLogits(checkSampling({ temperature: 0.7 }))).toBe(true);
  });

  it('softmax gives removed tokens probability 0', () => {
    expect([...softmax(f32([0, -Infinity, 0]))]).toEqual([0.5, 0, 0.5]);
    expect(() => softmax(f32([-Infinity]))).toThrow(/every token was removed/);
  });
});

describe('option checks', () => {
  it.each([
    [{ topP: 2 }, 'top_p must be a number above 0 and at most 1 (1 = off), got 2'],
    [{ topP: 0 }, 'top_p must be a number above 0 and at most 1 (1 = off), got 0'],
    [{ topK: -1 }, 'top_k must be a whole number >= 0 (0 = off), got -1'],
    [{ topK: 1.5 }, 'top_k must be a whole number >= 0 (0 = off), got 1.5'],
    [{ temperature: -0.1 }, 'temperature must be a number >= 0 (0 = greedy), got -0.1'],
    [{ temperature: Number.NaN }, 'temperature must be a number >= 0 (0 = greedy), got NaN'],
    [{ repetitionPenalty: 0 }, 'the repetition penalty must be a number above 0 (1 = off), got 0'],
  ])('%j', (opts, message) => expect(() => checkSampling(opts)).toThrow(new Error(message)));

  it('fills in the neutral defaults', () => {
    expect(checkSampling({})).toEqual({ greedy: false, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 });
    expect(checkSampling({ temperature: 0 }).greedy).toBe(true);
  });
});

describe('the sampler', () => {
  it('draws tokens with the frequencies of the probabilities (chi-square, p = 0.001)', () => {
    for (const name of ['top_p 0.9', "all four on the sample model's vocabulary", 'temperature 0.7']) {
      const c = cases.find((x) => x.name === name)!;
      const s = settings(c);
      const probs = nextTokenProbs(Float32Array.from(c.logits), c.inputIds, s);
      const n = 20_000;
      const counts = new Float64Array(c.vocab);
      const r = rng(7, name);
      for (let k = 0; k < n; k++) counts[pickToken(Float32Array.from(c.logits), c.inputIds, s, r)]++;
      // Pool tokens expected fewer than 5 times into one bin, as the chi-square test requires.
      let chi2 = 0;
      let bins = 0;
      let poolE = 0;
      let poolO = 0;
      for (let i = 0; i < c.vocab; i++) {
        const e = probs[i] * n;
        if (probs[i] === 0) expect(counts[i], `${name}: token ${i} has probability 0`).toBe(0);
        else if (e < 5) [poolE, poolO] = [poolE + e, poolO + counts[i]];
        else [chi2, bins] = [chi2 + (counts[i] - e) ** 2 / e, bins + 1];
      }
      if (poolE > 0) [chi2, bins] = [chi2 + (poolO - poolE) ** 2 / poolE, bins + 1];
      // Upper 0.001 quantile of chi-square with df = bins - 1 (Wilson-Hilferty approximation).
      const df = bins - 1;
      const z = 3.0902;
      const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
      expect(df, name).toBeGreaterThanOrEqual(3);
      expect(chi2, `${name}: chi2 ${chi2.toFixed(1)} over ${df} degrees of freedom`).toBeLessThan(critical);
    }
  });

  it('gives the same tokens for the same seed, and others for another seed', () => {
    const c = cases.find((x) => x.name === 'temperature 1.5')!;
    const s = settings(c);
    const logits = Float32Array.from(c.logits);
    const run = (seed: number) => {
      const r = rng(seed, 'sample');
      return Array.from({ length: 50 }, () => pickToken(logits, [], s, r));
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('draws by inverse CDF in id order, never a token of probability 0', () => {
    const probs = Float64Array.from([0, 0.25, 0, 0.75]);
    const at = (u: number) => drawFrom(probs, { next: () => u } as unknown as Parameters<typeof drawFrom>[1]);
    expect([at(0), at(0.2499), at(0.25), at(0.9999999)]).toEqual([1, 1, 3, 3]);
  });
});
