/**
 * `hft merges RUN_ID`: what each merge of the run's weights with its base model keeps, before
 * choosing one to export: the forgetting matrix of the run as trained (merge none), of the
 * average α·fine-tuned + (1−α)·base, and of the half-reset, each with OP, BWT and the probe.
 */
import { mergeLabel, type MergeSpec } from '../../engine/merge.js';
import { appPaths } from '../../services/home.js';
import { evaluateMerges, mergeForgetting } from '../../services/merge-evals.js';
import { parseMergeSpec } from '../../services/run-weights.js';
import { LISTED, requireRun, storedPlan } from '../../services/runs.js';
import { openStore, type Store } from '../../store/index.js';
import { intFlag, parseFlags, UsageError } from '../args.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';
import { matrixLegend, matrixLines } from '../report.js';

const pct = (v: number | null) => (v == null ? '-' : `${(100 * v).toFixed(1)}%`);

export async function merges(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, { alpha: { type: 'string' }, seed: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } }, 1);
  const runId = positionals[0];
  if (runId === undefined) throw new UsageError('give the run id: hft merges RUN_ID (`hft runs` lists them)');
  const store = openStore(appPaths({ db: values.db }).db);
  try {
    const run = requireRun(store, runId, LISTED);
    const seed = intFlag(values.seed, '--seed', run.seed, 0);
    const candidates: MergeSpec[] = [{ kind: 'none' }, parseMergeSpec('average', values.alpha, seed), { kind: 'half-reset', seed }];
    const job = storedPlan(run).job;
    // Evaluation sets at most: each merged candidate, row k = tasks 0..k and the probe.
    const perMerge = job.tasks.reduce((n, _, k) => n + k + 1 + (job.evaluation.probe == null ? 0 : 1), 0);
    let bar: ReturnType<typeof progressBar> | null = null;
    let done = 0;
    const results = await evaluateMerges(store, runId, candidates, (m) => {
      if (m.type !== 'merge-eval') return;
      bar ??= progressBar('evaluating merges', perMerge * (candidates.length - 1));
      bar.update(++done, `${m.merge} after stage ${m.afterStage + 1}: ${m.name}`);
    });
    (bar as ReturnType<typeof progressBar> | null)?.finish();
    const names = job.tasks.map((t) => t.name);
    emit(values.json === true, { runId, candidates: results.map((r) => ({ merge: r.label, spec: r.merge, ...r.forgetting })) }, () =>
      [
        ...results.flatMap((r) => [...matrixLines(`merge ${r.label}`, names, r.forgetting), '']),
        matrixLegend(names),
        `Export one with: hft export ${runId} --out DIR --merge average --alpha ${(candidates[1] as { alpha: number }).alpha}   (or --merge half-reset, or none)`,
      ].join('\n'),
    );
  } finally {
    store.close();
  }
}

/** One line on what `merge` keeps at the run's last finished stage, when it has been evaluated. */
export function mergeSummary(store: Store, runId: string, merge: MergeSpec): { op: number | null; bwt: number | null; prior: number | null; text: string } | null {
  const f = mergeForgetting(store, runId, merge);
  const last = f.accuracy.length - 1;
  if (last < 0 || f.accuracy[last].every((v) => v == null)) return null;
  const prior = f.probe[last];
  return { op: f.op, bwt: f.bwt, prior, text: `${mergeLabel(merge)}: OP ${pct(f.op)}, BWT ${f.bwt == null ? '-' : (100 * f.bwt).toFixed(1)}, prior knowledge ${pct(prior)}` };
}
