/**
 * `hft demo`: the embedded default. Trains the sample model (resources/sample) on its three sample
 * tasks in sequence twice, with HFT (category, ratio 0.5) and with full fine-tuning at the same
 * budget, records both runs, and prints their forgetting matrices side by side.
 *
 * The two runs go to two trainer processes at once: each is single-threaded on the CPU backends,
 * so on a machine with two or more cores the demo takes the time of one run.
 */
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../formats/plan.js';
import { parseBackendName } from '../../engine/backend.js';
import { appPaths } from '../../services/home.js';
import { prepareRun, readPlan } from '../../services/run-prepare.js';
import { launchRun } from '../../services/runs.js';
import { openStore } from '../../store/index.js';
import { parseFlags, UsageError } from '../args.js';
import { reportRuns } from '../run-output.js';
import { RunWatcher } from '../watch-run.js';

const DEMO_PLAN = fileURLToPath(new URL('../../../resources/sample/demo.plan.json', import.meta.url));

/** The sample plan (HFT) and the same plan with every tensor trained (FFT). */
function demoPlans(backend?: string): Plan[] {
  const hft = readPlan(DEMO_PLAN);
  if (backend !== undefined) {
    try {
      hft.backend = parseBackendName(backend);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const fft: Plan = { ...hft, name: `${hft.name}: FFT`, freeze: { ...hft.freeze, strategy: 'full', ratio: 1 } };
  return [{ ...hft, name: `${hft.name}: HFT` }, fft];
}

export async function demo(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { db: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } });
  const plans = demoPlans(values.backend);
  const paths = appPaths({ db: values.db });
  const store = openStore(paths.db);
  try {
    const started = Date.now();
    const watcher = new RunWatcher();
    const watched = plans.map((plan) => {
      const prepared = prepareRun(store, paths.home, plan);
      const label = plan.freeze.strategy === 'full' ? 'FFT' : 'HFT';
      return { label, handle: launchRun(store, prepared.runId, watcher.listener(label)), totalSteps: prepared.job.tasks.reduce((n, t) => n + t.steps, 0), stages: plan.tasks.length };
    });
    process.stderr.write(`training ${plans[0].tasks.length} tasks in sequence with HFT and with FFT (runs ${watched.map((w) => w.handle.runId).join(', ')})\n`);
    const records = await watcher.follow(watched);
    process.stderr.write(`demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s; \`npx hft runs\` lists both runs\n`);
    reportRuns(store, records, values.json === true);
  } finally {
    store.close();
  }
}
