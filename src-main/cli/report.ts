/**
 * Text renderings of run results for the terminal: the forgetting matrix with OP and BWT, two runs
 * side by side, and the run history table.
 */
import type { Forgetting } from '../services/forgetting.js';

const pct = (v: number | null | undefined): string => (v == null ? '   -  ' : `${(100 * v).toFixed(1).padStart(5)}%`);
const signedPct = (v: number | null): string => (v == null ? '-' : `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`);

/** Lines of one run's matrix: a row per stage, a column per task, then the probe. */
export function matrixLines(title: string, taskNames: readonly string[], f: Forgetting): string[] {
  const head = ['after stage', ...taskNames.map((_, i) => `T${i + 1}`), 'prior'];
  const before = ['before: base', ...f.base.accuracy.map(pct), pct(f.base.probe)];
  const rows = [before, ...f.accuracy.map((row, k) => [`${k + 1}: ${taskNames[k]}`, ...row.map(pct), pct(f.probe[k])])];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (cells: string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  return [
    title,
    fmt(head),
    ...rows.map(fmt),
    `OP ${f.op == null ? '-' : (100 * f.op).toFixed(1)}   BWT ${signedPct(f.bwt)}`,
  ];
}

/** The key under the matrices. */
export function matrixLegend(taskNames: readonly string[]): string {
  const tasks = taskNames.map((n, i) => `T${i + 1} = ${n}`).join(', ');
  return `Exact-match accuracy on each task's held-out rows, before fine-tuning and after each stage (${tasks}; prior = the probe of what the base model knew).
OP: mean accuracy after the last stage. BWT: mean change on earlier tasks since each was trained (negative = forgotten).`;
}

/** Two blocks of lines next to each other. */
export function sideBySide(left: string[], right: string[], gap = 6): string[] {
  const width = Math.max(...left.map((l) => l.length));
  const n = Math.max(left.length, right.length);
  return Array.from({ length: n }, (_, i) => `${(left[i] ?? '').padEnd(width + gap)}${right[i] ?? ''}`.trimEnd());
}

export interface RunRow {
  id: string;
  name: string;
  status: string;
  strategy: string;
  ratio: number;
  createdAt: string;
  op: number | null;
  bwt: number | null;
}

export function runsTable(runs: readonly RunRow[]): string {
  if (runs.length === 0) return 'no runs yet: try `npx hft demo`, or `npx hft run PLAN.json`';
  const head = ['id', 'name', 'status', 'strategy', 'ratio', 'created', 'OP', 'BWT'];
  const rows = runs.map((r) => [
    r.id,
    r.name,
    r.status,
    r.strategy,
    r.strategy === 'full' ? '1' : String(r.ratio),
    r.createdAt.replace('T', ' ').slice(0, 19),
    r.op == null ? '-' : (100 * r.op).toFixed(1),
    signedPct(r.bwt),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  return [head, ...rows].map((cells) => cells.map((s, c) => s.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}
