/**
 * What the charts draw, worked out from the contract's data (LineChart.vue only draws it):
 * - stage markers: where each stage starts on the step axis, labelled with its task;
 * - aligned series: one or more runs' values on one shared list of steps, so every series has a
 *   value (or a gap) at the same index and a tooltip can show all runs at one step; long runs are
 *   averaged into at most `maxPoints` equal step ranges, which also calms a noisy loss curve;
 * - the scores chart: each task's exact-match score before training and after each stage;
 * - colours that stay apart for colour-blind readers (Okabe and Ito's palette).
 */
import type { ForgettingView } from '../src-main/contract/index.js';

/** Okabe–Ito: told apart with the common colour-vision deficiencies; all readable on white. */
export const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#1f2328', '#8c6d1f'] as const;
export const seriesColour = (i: number): string => SERIES_COLOURS[i % SERIES_COLOURS.length];

export interface StageMarker {
  /** On the step axis: the steps done before the stage starts (0 for the first). */
  x: number;
  label: string;
}

/** A marker where each stage with points starts: x = its first step − 1, "Stage k: task". */
export function stageMarkers(points: readonly { step: number; stage: number }[], taskNames: readonly string[]): StageMarker[] {
  const first = new Map<number, number>();
  for (const p of points) {
    const seen = first.get(p.stage);
    if (seen === undefined || p.step < seen) first.set(p.stage, p.step);
  }
  return [...first.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([stage, step]) => ({ x: step - 1, label: `Stage ${stage + 1}: ${taskNames[stage] ?? `task ${stage + 1}`}` }));
}

/** The markers all runs share (the same stage starts and tasks), else none: they would mislead. */
export function sharedMarkers(perRun: readonly (readonly StageMarker[])[]): StageMarker[] {
  if (perRun.length === 0) return [];
  const [first, ...rest] = perRun;
  const same = rest.every((m) => m.length === first.length && m.every((x, i) => x.x === first[i].x && x.label === first[i].label));
  return same ? [...first] : [];
}

export interface AlignedSeries {
  /** The shared steps. */
  x: number[];
  /** series[r][i]: run r's value at x[i], or null where it has none. */
  series: (number | null)[][];
}

/**
 * Aligns runs' (step, value) points on shared steps. Up to `maxPoints` distinct steps, x is every
 * step any run has. Beyond that the steps 1..last are cut into ranges of b = ⌈last / maxPoints⌉
 * steps, ((j−1)·b, j·b]; x is a range's end (the last step for the final range) and each value the
 * mean of the run's known values in it. Ranges where no run has a value are left out.
 */
export function alignSeries(runs: readonly (readonly { step: number; value: number | null }[])[], maxPoints = 600): AlignedSeries {
  const steps = new Set<number>();
  for (const run of runs) for (const p of run) steps.add(p.step);
  if (steps.size === 0) return { x: [], series: runs.map(() => []) };
  const last = Math.max(...steps);
  if (steps.size <= maxPoints) {
    const x = [...steps].sort((a, b) => a - b);
    const index = new Map(x.map((s, i) => [s, i]));
    const series = runs.map((run) => {
      const values: (number | null)[] = x.map(() => null);
      for (const p of run) values[index.get(p.step) as number] = p.value;
      return values;
    });
    return { x, series };
  }
  const b = Math.ceil(last / maxPoints);
  const bins = Math.ceil(last / b);
  const sums = runs.map(() => new Float64Array(bins));
  const counts = runs.map(() => new Uint32Array(bins));
  const present = new Uint8Array(bins);
  runs.forEach((run, r) => {
    for (const p of run) {
      const j = Math.max(0, Math.ceil(p.step / b) - 1);
      present[j] = 1;
      if (p.value === null) continue;
      sums[r][j] += p.value;
      counts[r][j]++;
    }
  });
  const kept = [...present.keys()].filter((j) => present[j] === 1);
  return {
    x: kept.map((j) => Math.min((j + 1) * b, last)),
    series: runs.map((_, r) => kept.map((j) => (counts[r][j] === 0 ? null : sums[r][j] / counts[r][j]))),
  };
}

export interface ScoreChart {
  /** "before training", then "after stage k" for every stage of the plan. */
  labels: string[];
  /** One line per task (and the prior-knowledge quiz, when the run has one): percentages. */
  lines: { label: string; values: (number | null)[] }[];
}

const pct = (v: number | null | undefined): number | null => (v == null ? null : 100 * v);

/** Each task's score over the run (null where it was not tested), from the forgetting matrix. */
export function scoreChart(tasks: readonly string[], f: ForgettingView): ScoreChart {
  const labels = ['before training', ...tasks.map((_, k) => `after stage ${k + 1}`)];
  const lines = tasks.map((task, i) => ({
    label: task,
    values: [pct(f.base.accuracy[i]), ...tasks.map((_, k) => (i <= k ? pct(f.accuracy[k]?.[i]) : null))],
  }));
  const hasProbe = f.base.probe != null || f.probe.some((p) => p != null);
  if (hasProbe) lines.push({ label: 'prior knowledge', values: [pct(f.base.probe), ...tasks.map((_, k) => pct(f.probe[k]))] });
  return { labels, lines };
}

/** Names made unique for a legend: a repeated name gets " (2)", " (3)"… in order. */
export function distinctLabels(names: readonly string[]): string[] {
  const total = new Map<string, number>();
  for (const n of names) total.set(n, (total.get(n) ?? 0) + 1);
  const seen = new Map<string, number>();
  return names.map((n) => {
    if (total.get(n) === 1) return n;
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return `${n} (${k})`;
  });
}
