/**
 * The app's two jobs on a run's trained weights, over the services the CLI uses: `merges.evaluate`
 * (services/merge-evals.ts, the candidates of `hft merges`) and `exports.create`
 * (services/exports.ts, as `hft export`), each reporting its progress as a contract `JobProgress`.
 * Their refusals (RunError, MergeError, ExportError) pass through in their own words.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExportView, JobProgress, MergeView, Params } from '../contract/index.js';
import type { MergeSpec } from '../engine/merge.js';
import type { Store } from '../store/index.js';
import { ExportError, exportRun } from './exports.js';
import { evaluateMerges } from './merge-evals.js';
import { finishedStages, parseMergeSpec } from './run-weights.js';
import { GONE, requireRun, storedPlan } from './runs.js';
import type { WorkerLauncher } from './trainer-host.js';

const alphaText = (alpha: number | undefined): string | undefined => (alpha === undefined ? undefined : String(alpha));

/**
 * The run as trained (merge none), the average with the base (alpha, default 0.5) and the
 * half-reset (seed, default the run's freeze seed), each with its forgetting matrix over the
 * finished stages. Progress counts evaluation sets: for each merged candidate, row k of its matrix
 * is tasks 0..k and the probe; sets recorded earlier are read back, and count as done at the end.
 */
export async function evaluateMergesForApp(
  store: Store,
  req: Params<'merges.evaluate'>,
  progress: (p: JobProgress) => void,
  launcher: WorkerLauncher,
): Promise<MergeView[]> {
  const { runId } = req;
  const run = requireRun(store, runId, GONE);
  const seed = req.seed ?? run.seed;
  const candidates: MergeSpec[] = [{ kind: 'none' }, parseMergeSpec('average', alphaText(req.alpha), seed), { kind: 'half-reset', seed }];
  const { job } = storedPlan(run);
  const perCandidate = finishedStages(store, runId).reduce((n, k) => n + k + 1 + (job.evaluation.probe == null ? 0 : 1), 0);
  const total = perCandidate * candidates.filter((c) => c.kind !== 'none').length;
  let done = 0;
  progress({ runId, job: 'merges', done, total });
  const results = await evaluateMerges(
    store,
    runId,
    candidates,
    (m) => {
      if (m.type === 'merge-eval' && done < total) progress({ runId, job: 'merges', done: ++done, total });
    },
    launcher,
  );
  if (done < total) progress({ runId, job: 'merges', done: total, total });
  return results.map((r) => ({ label: r.label, kind: r.merge.kind, forgetting: r.forgetting }));
}

/**
 * Writes a finished stage's weights (0-based `stage`, default the last), merged as asked, to `out`.
 * alpha belongs to the average and seed to the half-reset; a form's leftover value for another
 * merge is not an error. A folder that already holds files is replaced only with `force`.
 */
export async function exportForApp(store: Store, home: string, req: Params<'exports.create'>, progress: (p: JobProgress) => void): Promise<ExportView> {
  const { runId } = req;
  const run = requireRun(store, runId, GONE);
  const merge = parseMergeSpec(req.merge, req.merge === 'average' ? alphaText(req.alpha) : undefined, req.seed ?? run.seed);
  // Said here in the app's words: the export service's refusal names the command line's --force.
  const out = resolve(req.out);
  if (req.force !== true && existsSync(out) && statSync(out).isDirectory() && readdirSync(out).length > 0) {
    throw new ExportError(`the folder ${out} already has files in it; choose a new or empty folder, or allow replacing it`);
  }
  return exportRun(
    store,
    home,
    { runId, out, stage: req.stage, format: req.format, merge, ggufType: req.ggufType, force: req.force === true },
    (done, total) => progress({ runId, job: 'export', done, total }),
  );
}
