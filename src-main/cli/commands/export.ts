/**
 * `hft export RUN_ID --out DIR`: the weights of a finished stage of a run (the last by default),
 * optionally merged with the base model, as a Hugging Face folder or as GGUF + Ollama Modelfile.
 */
import { parseMergeSpec, stageFromFlag } from '../../services/run-weights.js';
import { EXPORT_FORMATS, exportRun, GGUF_TYPES } from '../../services/exports.js';
import { appPaths } from '../../services/home.js';
import { LISTED, requireRun } from '../../services/runs.js';
import { openStore } from '../../store/index.js';
import { choiceFlag, parseFlags, required, UsageError } from '../args.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';
import { mergeSummary } from './merges.js';

const FLAGS = {
  out: { type: 'string' },
  stage: { type: 'string' },
  format: { type: 'string' },
  type: { type: 'string' },
  merge: { type: 'string' },
  alpha: { type: 'string' },
  force: { type: 'boolean' },
  db: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const megabytes = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 0)} MB`;

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, FLAGS, 1);
  const runId = positionals[0];
  if (runId === undefined) throw new UsageError('give the run id: hft export RUN_ID --out DIR (`hft runs` lists them)');
  const out = required(values.out, '--out');
  const format = choiceFlag(values.format, '--format', EXPORT_FORMATS, 'safetensors');
  if (values.type !== undefined && format !== 'gguf') throw new UsageError('--type applies to --format gguf (safetensors keeps the base model\'s dtypes)');
  const ggufType = choiceFlag(values.type, '--type', GGUF_TYPES, 'F16');
  const paths = appPaths({ db: values.db });
  const store = openStore(paths.db);
  try {
    const run = requireRun(store, runId, LISTED);
    const merge = parseMergeSpec(values.merge, values.alpha, run.seed);
    let bar: ReturnType<typeof progressBar> | null = null;
    const result = await exportRun(
      store,
      paths.home,
      { runId, out, stage: stageFromFlag(values.stage), format, merge, ggufType, force: values.force === true },
      (done, total) => {
        bar ??= progressBar('export', total);
        bar.update(done);
      },
    );
    (bar as ReturnType<typeof progressBar> | null)?.finish();
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    const kept = mergeSummary(store, runId, merge);
    emit(values.json === true, { ...result, stage: result.stage + 1, evaluated: kept }, () =>
      [
        `exported stage ${result.stage + 1} of run ${runId} (merge ${result.merge}) as ${format === 'gguf' ? `GGUF ${ggufType} + Ollama Modelfile` : 'a Hugging Face folder'}: ${result.out} (${result.files.length} files, ${megabytes(result.bytes)})`,
        kept == null ? `what a merge keeps of each task: hft merges ${runId}` : `this merge, evaluated: ${kept.text}`,
      ].join('\n'),
    );
  } finally {
    store.close();
  }
}
