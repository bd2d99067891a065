/**
 * The forgetting matrix (contract ForgettingView) laid out as the heatmap table people read:
 *   rows     "before (base model)", then "after stage k: <task>" for each stage;
 *   columns  the tasks in training order, then "prior knowledge" (the probe) when the run has one;
 *   cells    the exact-match score as a percentage, coloured from pale (0%) to deep blue (100%).
 * A task is only tested from the stage that trains it on, so cells above the diagonal are
 * "not yet", and so is every cell of a stage that has not been tested yet (a run still training);
 * a tested task without checkable answers has "no score".
 */
import type { ForgettingView } from '../src-main/contract/index.js';
import { percent } from './format.js';

export type CellKind = 'score' | 'not-yet' | 'no-score';

export interface HeatCell {
  kind: CellKind;
  /** The score 0..1, or null. */
  value: number | null;
  /** What the cell shows: "12.5%", "not yet" or "no score". */
  text: string;
  /** The whole reading, for a screen reader or a tooltip. */
  description: string;
  background: string;
  foreground: string;
}

export interface HeatRow {
  label: string;
  cells: HeatCell[];
}

export interface HeatTable {
  columns: string[];
  rows: HeatRow[];
  /** Whether the run tested prior knowledge (the last column). */
  hasProbe: boolean;
}

export const BEFORE_LABEL = 'before (base model)';
export const PROBE_LABEL = 'prior knowledge';
export const stageLabel = (k: number, task: string): string => `after stage ${k + 1}: ${task}`;

/** sRGB channel 0..255 → linear light, for WCAG relative luminance. */
const linear = (c: number): number => {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};
export const luminance = ([r, g, b]: readonly number[]): number => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
export const contrast = (a: number, b: number): number => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/**
 * The two text colours; each cell uses whichever reads better on its background. Black, not the
 * page's near-black: where the ramp crosses from one to the other both must still reach WCAG AA's
 * 4.5:1, and only pure black does (about 4.6:1 there).
 */
export const DARK_TEXT: readonly number[] = [0, 0, 0];
export const LIGHT_TEXT: readonly number[] = [0xff, 0xff, 0xff];
/** The ends of the scale: 0% and 100%. */
const LOW: readonly number[] = [0xf3, 0xf7, 0xfc];
const HIGH: readonly number[] = [0x0b, 0x3d, 0x7a];

const css = ([r, g, b]: readonly number[]): string => `rgb(${r}, ${g}, ${b})`;

/** Background and text colour for a score 0..1 (clamped). */
export function heatColours(v: number): { background: readonly number[]; foreground: readonly number[] } {
  const t = Math.min(1, Math.max(0, v));
  const background = LOW.map((lo, i) => Math.round(lo + (HIGH[i] - lo) * t));
  const y = luminance(background);
  const foreground = contrast(y, luminance(DARK_TEXT)) >= contrast(y, luminance(LIGHT_TEXT)) ? DARK_TEXT : LIGHT_TEXT;
  return { background, foreground };
}

function cell(value: number | null, tested: boolean, row: string, column: string): HeatCell {
  if (!tested) {
    return { kind: 'not-yet', value: null, text: 'not yet', description: `${row}, ${column}: not tested yet`, background: 'transparent', foreground: 'inherit' };
  }
  if (value == null) {
    return { kind: 'no-score', value: null, text: 'no score', description: `${row}, ${column}: no score (no answers to check)`, background: 'transparent', foreground: 'inherit' };
  }
  const { background, foreground } = heatColours(value);
  return { kind: 'score', value, text: percent(value), description: `${row}, ${column}: ${percent(value)} correct`, background: css(background), foreground: css(foreground) };
}

const some = (xs: readonly (number | null | undefined)[]): boolean => xs.some((x) => x != null);

export function forgettingTable(tasks: readonly string[], f: ForgettingView): HeatTable {
  const hasProbe = f.base.probe != null || f.probe.some((p) => p != null);
  // A stage's tests record a loss for every task they cover, even one without an accuracy.
  const baseTested = some(f.base.accuracy) || f.base.probe != null;
  const stageTested = (k: number): boolean => some(f.loss[k] ?? []) || some(f.accuracy[k] ?? []) || f.probe[k] != null;
  const columns = hasProbe ? [...tasks, PROBE_LABEL] : [...tasks];
  const before: HeatRow = {
    label: BEFORE_LABEL,
    cells: [
      ...tasks.map((t, i) => cell(f.base.accuracy[i] ?? null, baseTested, BEFORE_LABEL, t)),
      ...(hasProbe ? [cell(f.base.probe, baseTested, BEFORE_LABEL, PROBE_LABEL)] : []),
    ],
  };
  const stages = tasks.map((task, k): HeatRow => {
    const label = stageLabel(k, task);
    const tested = stageTested(k);
    return {
      label,
      cells: [
        ...tasks.map((t, i) => cell(f.accuracy[k]?.[i] ?? null, tested && i <= k, label, t)),
        ...(hasProbe ? [cell(f.probe[k] ?? null, tested, label, PROBE_LABEL)] : []),
      ],
    };
  });
  return { columns, rows: [before, ...stages], hasProbe };
}
