/**
 * What `run`, `resume` and `demo` print when their runs end, and how they list every problem of a
 * refused plan or dataset before the one-line summary.
 */
import type { RunRecord, Store } from '../store/index.js';
import { runForgetting, storedPlan } from '../services/runs.js';
import { emit } from './output.js';
import { matrixLegend, matrixLines, sideBySide } from './report.js';

interface Listed {
  issues?: { file: string; line: number; field?: string; reason: string }[];
  errors?: { file: string; line: number; reason: string }[];
}

/** Runs `fn`; if it throws an error that carries several file:line problems, lists them all on stderr first. */
export function listProblems<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const list = (e as Listed).issues ?? (e as Listed).errors;
    if (Array.isArray(list) && list.length > 1) {
      for (const p of list.slice(0, 50)) {
        const field = 'field' in p && p.field ? `${p.field}: ` : '';
        process.stderr.write(`  ${p.file}:${p.line}: ${field}${p.reason}\n`);
      }
      if (list.length > 50) process.stderr.write(`  ... and ${list.length - 50} more\n`);
    }
    throw e;
  }
}

/** Prints each run's forgetting matrix (side by side when two), or the JSON; throws if one failed. */
export function reportRuns(store: Store, records: RunRecord[], json: boolean): void {
  const results = records.map((r) => {
    const f = runForgetting(store, r.id);
    const tasks = storedPlan(r).job.tasks.map((t) => t.name);
    return { record: r, f, tasks };
  });
  emit(
    json,
    {
      runs: results.map(({ record: r, f, tasks }) => ({
        id: r.id,
        name: r.name,
        status: r.status,
        strategy: r.strategy,
        ratio: r.ratio,
        error: r.error,
        tasks,
        accuracy: f.accuracy,
        loss: f.loss,
        probe: f.probe,
        base: f.base,
        op: f.op,
        bwt: f.bwt,
      })),
    },
    () => {
      const blocks = results.map(({ record: r, f, tasks }) => matrixLines(`${r.name}  [run ${r.id}, ${r.status}]`, tasks, f));
      const paired = blocks.length === 2 ? sideBySide(blocks[0], blocks[1]) : null;
      const fits = paired != null && Math.max(...paired.map((l) => l.length)) <= (process.stdout.columns ?? Infinity);
      const body = fits ? paired : blocks.flatMap((b, i) => (i === 0 ? b : ['', ...b]));
      return [...body, '', matrixLegend(results[0]?.tasks ?? [])].join('\n');
    },
  );
  const unfinished = records.filter((r) => r.status !== 'done');
  if (unfinished.length > 0) {
    const why = (r: RunRecord) => (r.status === 'paused' ? 'stopped at a checkpoint' : `failed: ${r.error ?? 'unknown reason'}`);
    const each = unfinished.map((r) => `run ${r.id} ${why(r)}; continue it with: npx hft resume ${r.id}`);
    throw new Error(each.join('; '));
  }
}
