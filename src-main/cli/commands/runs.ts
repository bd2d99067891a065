/**
 * `hft runs`: the run history, newest first.
 */
import { appPaths } from '../../services/home.js';
import { openStore } from '../../store/index.js';
import { parseFlags } from '../args.js';
import { emit } from '../output.js';
import { runsTable } from '../report.js';

export async function runs(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { db: { type: 'string' }, json: { type: 'boolean' } });
  const store = openStore(appPaths({ db: values.db }).db);
  try {
    const list = store.runs.list().map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      strategy: r.strategy,
      ratio: r.ratio,
      createdAt: r.createdAt,
      op: r.op,
      bwt: r.bwt,
      backend: r.backend,
      totalSteps: r.totalSteps,
      error: r.error,
    }));
    emit(values.json === true, { runs: list }, () => runsTable(list));
  } finally {
    store.close();
  }
}
