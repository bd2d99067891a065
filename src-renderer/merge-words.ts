/**
 * A merge's label as the export service writes it (`none`, `average(alpha=0.5)`,
 * `half-reset(seed=0)`; engine/merge.ts mergeLabel) said in words, and the averaging weight read
 * back from it.
 */

/** The α of `average(alpha=…)`: the share of the fine-tuned model kept; null for other merges. */
export function averageAlpha(label: string): number | null {
  const m = /^average\(alpha=([0-9.eE+-]+)\)$/.exec(label);
  if (m === null) return null;
  const a = Number(m[1]);
  return Number.isFinite(a) ? a : null;
}

/** "No merge", "Average, keeping 50% of the fine-tuned model", "Half reset"; unknown labels as they are. */
export function mergeTitle(label: string): string {
  if (label === 'none') return 'No merge';
  if (/^half-reset(\(|$)/.test(label)) return 'Half reset';
  const a = averageAlpha(label);
  return a === null ? label : `Average, keeping ${Math.round(a * 100)}% of the fine-tuned model`;
}
