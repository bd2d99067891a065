/**
 * `hft resume RUN_ID`: continue a paused or failed run from its newest intact checkpoint.
 */
import { appPaths } from '../../services/home.js';
import { launchRun, LISTED, requireRun, storedPlan } from '../../services/runs.js';
import { openStore } from '../../store/index.js';
import { parseFlags, UsageError } from '../args.js';
import { reportRuns } from '../run-output.js';
import { RunWatcher } from '../watch-run.js';

export async function resume(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, { db: { type: 'string' }, json: { type: 'boolean' } }, 1);
  const runId = positionals[0];
  if (runId === undefined) throw new UsageError('give the run id: hft resume RUN_ID (`hft runs` lists them)');
  const store = openStore(appPaths({ db: values.db }).db);
  try {
    const run = requireRun(store, runId, LISTED);
    const { job } = storedPlan(run);
    const watcher = new RunWatcher();
    const handle = launchRun(store, runId, watcher.listener(run.name));
    const [record] = await watcher.follow([{ label: run.name, handle, totalSteps: run.totalSteps, stages: job.tasks.length }]);
    reportRuns(store, [record], values.json === true);
  } finally {
    store.close();
  }
}
