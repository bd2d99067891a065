/**
 * `hft run PLAN.json`: validate the plan and its datasets (nothing is recorded if any row is bad),
 * record the run, train its stages in a trainer process, and print the forgetting matrix.
 */
import { appPaths } from '../../services/home.js';
import { prepareRun, readPlan } from '../../services/run-prepare.js';
import { launchRun } from '../../services/runs.js';
import { openStore } from '../../store/index.js';
import { parseFlags, UsageError } from '../args.js';
import { listProblems, reportRuns } from '../run-output.js';
import { RunWatcher } from '../watch-run.js';

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, { db: { type: 'string' }, json: { type: 'boolean' } }, 1);
  const planFile = positionals[0];
  if (planFile === undefined) throw new UsageError('give the plan file: hft run PLAN.json');
  const paths = appPaths({ db: values.db });
  const plan = listProblems(() => readPlan(planFile));
  const store = openStore(paths.db);
  try {
    const prepared = listProblems(() => prepareRun(store, paths.home, plan));
    prepared.truncated.forEach((n, i) => {
      if (n > 0) process.stderr.write(`task ${plan.tasks[i].name}: ${n} rows were longer than ${plan.training.maxLength} tokens and were cut\n`);
    });
    process.stderr.write(`run ${prepared.runId}: ${prepared.job.tasks.length} stages, ${prepared.job.tasks.map((t) => t.steps).join(' + ')} steps\n`);
    const watcher = new RunWatcher();
    const handle = launchRun(store, prepared.runId, watcher.listener(plan.name));
    const [record] = await watcher.follow([{ label: plan.name, handle, totalSteps: prepared.job.tasks.reduce((n, t) => n + t.steps, 0), stages: prepared.job.tasks.length }]);
    reportRuns(store, [record], values.json === true);
  } finally {
    store.close();
  }
}
