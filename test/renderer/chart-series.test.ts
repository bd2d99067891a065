/** What the charts draw, against layouts worked out by hand. */
import { describe, expect, it } from 'vitest';
import type { ForgettingView } from '../../src-main/contract/index.js';
import { alignSeries, distinctLabels, scoreChart, seriesColour, sharedMarkers, stageMarkers, SERIES_COLOURS } from '../../src-renderer/chart-series.js';

const pts = (stage: number, from: number, to: number): { step: number; stage: number }[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ step: from + i, stage }));

describe('stage markers', () => {
  it('marks where each stage starts: the steps done before it, with its task', () => {
    // Stages of 3, 2 and 4 steps: steps 1–3, 4–5, 6–9; given out of order.
    const points = [...pts(2, 6, 9), ...pts(0, 1, 3), ...pts(1, 4, 5)];
    expect(stageMarkers(points, ['reverse', 'add', 'codes'])).toEqual([
      { x: 0, label: 'Stage 1: reverse' },
      { x: 3, label: 'Stage 2: add' },
      { x: 5, label: 'Stage 3: codes' },
    ]);
  });

  it('marks only the stages that have points so far, and resumes from a later step', () => {
    // A run resumed in stage 2 whose first points are from step 41 on.
    expect(stageMarkers(pts(1, 41, 43), ['a', 'b'])).toEqual([{ x: 40, label: 'Stage 2: b' }]);
    expect(stageMarkers([], ['a'])).toEqual([]);
  });

  it('shares markers between runs only when every run has the same ones', () => {
    const a = [{ x: 0, label: 'Stage 1: a' }, { x: 150, label: 'Stage 2: b' }];
    expect(sharedMarkers([a, [...a]])).toEqual(a);
    expect(sharedMarkers([a, [{ x: 0, label: 'Stage 1: a' }, { x: 100, label: 'Stage 2: b' }]])).toEqual([]);
    expect(sharedMarkers([a, a.slice(0, 1)])).toEqual([]);
    expect(sharedMarkers([])).toEqual([]);
  });
});

describe('aligned series', () => {
  it('puts runs of different lengths on the same steps, with gaps where a run has none', () => {
    const a = [{ step: 1, value: 4 }, { step: 2, value: 3 }, { step: 3, value: 2 }];
    const b = [{ step: 2, value: 5 }, { step: 4, value: 1 }, { step: 1, value: null }];
    expect(alignSeries([a, b])).toEqual({
      x: [1, 2, 3, 4],
      series: [
        [4, 3, 2, null],
        [null, 5, null, 1],
      ],
    });
  });

  it('averages long runs into equal step ranges, the same ranges for every run', () => {
    // Steps 1..10 for run a (value = step), 1..7 for run b (value = 10·step), at most 4 points:
    // b = ⌈10 / 4⌉ = 3; ranges (0,3] (3,6] (6,9] (9,10] → x = 3, 6, 9, 10.
    const a = Array.from({ length: 10 }, (_, i) => ({ step: i + 1, value: i + 1 }));
    const b = Array.from({ length: 7 }, (_, i) => ({ step: i + 1, value: 10 * (i + 1) }));
    expect(alignSeries([a, b], 4)).toEqual({
      x: [3, 6, 9, 10],
      series: [
        [2, 5, 8, 10], // (1+2+3)/3, (4+5+6)/3, (7+8+9)/3, 10
        [20, 50, 70, null], // (10+20+30)/3, (40+50+60)/3, 70 alone, none
      ],
    });
  });

  it('leaves out ranges no run has reached, and skips unknown values in a mean', () => {
    // Steps 1, 2 and 9 with at most 2 points: b = ⌈9/2⌉ = 5, ranges (0,5] (5,9].
    const a = [{ step: 1, value: 1 }, { step: 2, value: null }, { step: 9, value: 3 }];
    expect(alignSeries([a], 2)).toEqual({ x: [5, 9], series: [[1, 3]] });
    // Steps 1 and 20 with at most 1 point: b = 20, one range (0,20], the mean of 2 and 6.
    expect(alignSeries([[{ step: 1, value: 2 }, { step: 20, value: 6 }]], 1)).toEqual({ x: [20], series: [[4]] });
  });

  it('has nothing to align when no run has points', () => {
    expect(alignSeries([[], []])).toEqual({ x: [], series: [[], []] });
  });
});

describe('score chart', () => {
  const f: ForgettingView = {
    accuracy: [
      [1, null, null],
      [0.75, 0.8, null],
      [0, 0.133, 0.467],
    ],
    loss: [],
    probe: [0.969, 0.75, 0.281],
    base: { accuracy: [0, 0, 0], probe: 1 },
    op: 0.2,
    bwt: -0.833,
  };

  it('follows each task from before training through every stage, as percentages', () => {
    const c = scoreChart(['reverse', 'add', 'codes'], f);
    expect(c.labels).toEqual(['before training', 'after stage 1', 'after stage 2', 'after stage 3']);
    expect(c.lines.map((l) => l.label)).toEqual(['reverse', 'add', 'codes', 'prior knowledge']);
    expect(c.lines[0].values).toEqual([0, 100, 75, 0]);
    // Task 2 is not tested after stage 1 (not trained yet).
    expect(c.lines[1].values[1]).toBeNull();
    expect(c.lines[1].values[2]).toBeCloseTo(80, 10);
    expect(c.lines[1].values[3]).toBeCloseTo(13.3, 10);
    expect(c.lines[2].values.slice(0, 3)).toEqual([0, null, null]);
    expect(c.lines[3].values[0]).toBe(100);
    expect(c.lines[3].values[3]).toBeCloseTo(28.1, 10);
  });

  it('has no prior-knowledge line without a probe, and gaps for stages not tested yet', () => {
    const running: ForgettingView = { accuracy: [[0.5, null], [null, null]], loss: [], probe: [null, null], base: { accuracy: [0.1, null], probe: null }, op: null, bwt: null };
    const c = scoreChart(['a', 'b'], running);
    expect(c.lines).toEqual([
      { label: 'a', values: [10, 50, null] },
      { label: 'b', values: [null, null, null] },
    ]);
  });
});

describe('labels and colours', () => {
  it('numbers repeated names in order and leaves unique ones alone', () => {
    expect(distinctLabels(['demo', 'other', 'demo', 'demo'])).toEqual(['demo (1)', 'other', 'demo (2)', 'demo (3)']);
    expect(distinctLabels([])).toEqual([]);
  });

  it('cycles through the palette', () => {
    expect(seriesColour(0)).toBe(SERIES_COLOURS[0]);
    expect(seriesColour(SERIES_COLOURS.length + 1)).toBe(SERIES_COLOURS[1]);
    expect(new Set(SERIES_COLOURS).size).toBe(SERIES_COLOURS.length);
  });
});
