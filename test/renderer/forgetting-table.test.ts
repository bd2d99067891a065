/**
 * The forgetting matrix as a table: rows, columns, "not yet" above the diagonal and for stages
 * not tested yet, "no score" for tasks without answers, and colours whose text stays readable.
 * Expected cells are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { ForgettingView } from '../../src-main/contract/index.js';
import { contrast, DARK_TEXT, forgettingTable, heatColours, LIGHT_TEXT, luminance } from '../../src-renderer/forgetting-table.js';

const finished: ForgettingView = {
  accuracy: [
    [0.5, null, null],
    [0.25, 1, null],
    [0, 0.75, null],
  ],
  loss: [
    [1, null, null],
    [1.5, 0.2, null],
    [2, 0.5, 0.9],
  ],
  probe: [0.9, 0.8, 0.7],
  base: { accuracy: [0, 0.125, null], probe: 1 },
  op: 0.375,
  bwt: -0.375,
};

const texts = (f: ForgettingView, tasks = ['a', 'b', 'c']) => forgettingTable(tasks, f).rows.map((r) => [r.label, ...r.cells.map((c) => c.text)]);

describe('forgettingTable', () => {
  it('lays out a finished run: before, then one row per stage; tasks, then prior knowledge', () => {
    const t = forgettingTable(['a', 'b', 'c'], finished);
    expect(t.columns).toEqual(['a', 'b', 'c', 'prior knowledge']);
    expect(t.hasProbe).toBe(true);
    expect(texts(finished)).toEqual([
      ['before (base model)', '0.0%', '12.5%', 'no score', '100.0%'],
      ['after stage 1: a', '50.0%', 'not yet', 'not yet', '90.0%'],
      ['after stage 2: b', '25.0%', '100.0%', 'not yet', '80.0%'],
      // Task c was tested (it has a loss) but has no answers to check.
      ['after stage 3: c', '0.0%', '75.0%', 'no score', '70.0%'],
    ]);
    expect(t.rows[2].cells[1].description).toBe('after stage 2: b, b: 100.0% correct');
  });

  it('shows stages not tested yet as "not yet", and leaves out the probe column when there was no probe', () => {
    const running: ForgettingView = {
      accuracy: [[0.5, null], [null, null]],
      loss: [[1, null], [null, null]],
      probe: [null, null],
      base: { accuracy: [0, 0], probe: null },
      op: null,
      bwt: null,
    };
    const t = forgettingTable(['a', 'b'], running);
    expect(t.columns).toEqual(['a', 'b']);
    expect(t.hasProbe).toBe(false);
    expect(texts(running, ['a', 'b'])).toEqual([
      ['before (base model)', '0.0%', '0.0%'],
      ['after stage 1: a', '50.0%', 'not yet'],
      ['after stage 2: b', 'not yet', 'not yet'],
    ]);
    const fresh: ForgettingView = { ...running, accuracy: [[null, null], [null, null]], loss: [[null, null], [null, null]], base: { accuracy: [null, null], probe: null } };
    expect(texts(fresh, ['a', 'b'])[0]).toEqual(['before (base model)', 'not yet', 'not yet']);
  });
});

describe('heatColours', () => {
  it('goes from pale to dark as the score rises, and its text always reads at 4.5:1 or better (WCAG AA)', () => {
    let previous = Infinity;
    for (let i = 0; i <= 100; i++) {
      const { background, foreground } = heatColours(i / 100);
      const y = luminance(background);
      expect(y).toBeLessThan(previous);
      previous = y;
      expect(contrast(y, luminance(foreground)), `score ${i}%`).toBeGreaterThanOrEqual(4.5);
    }
    expect(heatColours(0).foreground).toBe(DARK_TEXT);
    expect(heatColours(1).foreground).toBe(LIGHT_TEXT);
    expect(heatColours(-1)).toEqual(heatColours(0));
    expect(heatColours(2)).toEqual(heatColours(1));
  });

  it('computes WCAG contrast as the standard does (black on white is 21:1)', () => {
    expect(contrast(luminance([0, 0, 0]), luminance([255, 255, 255]))).toBeCloseTo(21, 10);
    expect(luminance([255, 255, 255])).toBeCloseTo(1, 12);
  });
});
