/** The live run's speed, time left and sizes, against values worked out by hand. */
import { describe, expect, it } from 'vitest';
import { durationWords, etaSeconds, recentMean, stepsPerSecond } from '../../src-renderer/run-eta.js';
import { bytesWords, tokensPerSecondWords } from '../../src-renderer/units.js';

describe('run-eta', () => {
  it('measures steps per second over the recent window only', () => {
    // Steps 10 → 30 in 4 s = 5 steps/s.
    expect(stepsPerSecond([{ step: 10, atMs: 1000 }, { step: 20, atMs: 3000 }, { step: 30, atMs: 5000 }])).toBe(5);
    // A sample older than the window (here 10 s) is left out: steps 100 → 104 in 2 s = 2 steps/s,
    // not (104 − 0) / 12 s.
    const samples = [{ step: 0, atMs: 0 }, { step: 100, atMs: 10_000 }, { step: 104, atMs: 12_000 }];
    expect(stepsPerSecond(samples, 10_000)).toBe(2);
  });

  it('has no rate from one sample, no time passed, or no progress', () => {
    expect(stepsPerSecond([])).toBeNull();
    expect(stepsPerSecond([{ step: 5, atMs: 100 }])).toBeNull();
    expect(stepsPerSecond([{ step: 5, atMs: 100 }, { step: 6, atMs: 100 }])).toBeNull();
    expect(stepsPerSecond([{ step: 5, atMs: 100 }, { step: 5, atMs: 900 }])).toBeNull();
  });

  it('gives the time left from the steps left and the rate', () => {
    // 5 steps/s, at step 30 of 450: 420 steps left → 84 s.
    expect(etaSeconds([{ step: 10, atMs: 1000 }, { step: 30, atMs: 5000 }], 450)).toBe(84);
    expect(etaSeconds([{ step: 10, atMs: 1000 }, { step: 450, atMs: 5000 }], 450)).toBe(0);
    expect(etaSeconds([{ step: 10, atMs: 1000 }], 450)).toBeNull();
    expect(etaSeconds([], 450)).toBeNull();
  });

  it('says a duration the way a person would', () => {
    expect(durationWords(0)).toBe('less than a minute');
    expect(durationWords(59)).toBe('less than a minute');
    expect(durationWords(60)).toBe('about 1 minute');
    expect(durationWords(150)).toBe('about 3 minutes'); // 2.5 min rounds up
    expect(durationWords(3569)).toBe('about 59 minutes');
    expect(durationWords(3600)).toBe('about 1 hour');
    expect(durationWords(7500)).toBe('about 2 hours 5 minutes');
    expect(durationWords(3660)).toBe('about 1 hour 1 minute');
  });

  it('averages the last known speeds', () => {
    expect(recentMean([100, null, 200, 300], 3)).toBe(250); // the last 3 are null, 200, 300
    expect(recentMean([null, null])).toBeNull();
    expect(recentMean([])).toBeNull();
  });

  it('writes sizes and speeds in words', () => {
    expect(bytesWords(1)).toBe('1 byte');
    expect(bytesWords(512)).toBe('512 bytes');
    expect(bytesWords(1536)).toBe('1.5 KB');
    expect(bytesWords(300 * 1024 * 1024)).toBe('300 MB');
    expect(bytesWords(1.25 * 1024 ** 3)).toBe('1.3 GB'); // 1.25 → one decimal, rounded half up by toFixed
    expect(bytesWords(10.2 * 1024 ** 2)).toBe('10 MB');
    expect(bytesWords(1023.99 * 1024)).toBe('1024 KB'); // not yet 1 MB
    expect(bytesWords(null)).toBe('\u2013');
    expect(tokensPerSecondWords(12_345.6)).toBe('12,346 tokens a second');
    expect(tokensPerSecondWords(null)).toBe('\u2013');
  });
});
