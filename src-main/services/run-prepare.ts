/**
 * Turns a plan file into a recorded, queued run, or refuses it without changing anything.
 *
 * Order matters for "all or nothing": first everything is read and checked (plan fields, files,
 * model config, tokenizer, every dataset row, with file:line reasons); only then are the datasets
 * copied into the content-addressed store, and finally the run, its stages, model and datasets are
 * written to SQLite in one transaction. A bad plan or dataset leaves the database untouched.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { paramSpecs, numel } from '../engine/param-specs.js';
import { importDataset, type ColumnMapping } from '../formats/datasets/index.js';
import { readHfConfig } from '../formats/hf-config.js';
import { checkPlanFiles, parsePlan, planToJson, type Plan, type PlanMapping } from '../formats/plan.js';
import { loadTokenizer } from '../formats/tokenizer/index.js';
import type { Store } from '../store/index.js';
import type { TrainerJob } from '../trainer/protocol.js';
import { loadProbe, loadTaskData, stageSteps } from '../trainer/task-data.js';
import { runDir } from './home.js';

/** What runs.plan_json holds: the normalised plan as the user wrote it, and the job as resolved. */
export interface StoredPlan {
  plan: unknown;
  job: TrainerJob;
}

export interface PreparedRun {
  runId: string;
  job: TrainerJob;
  /** Rows cut to the maximum length, per task. */
  truncated: number[];
}

function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

const toMapping = (m: PlanMapping | null): ColumnMapping | null => (m?.format == null ? null : { format: m.format, columns: m.columns });

/** Reads and checks the plan file; throws PlanError / DatasetError / ConfigError / TokenizerError. */
export function readPlan(planFile: string): Plan {
  let text: string;
  try {
    text = readFileSync(planFile, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the plan ${planFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return planFromText(text, planFile);
}

/** A plan from its JSON text; `planFile` names it in errors and anchors its relative paths. */
export function planFromText(text: string, planFile: string): Plan {
  const plan = parsePlan(text, planFile);
  const missing = checkPlanFiles(plan);
  if (missing != null) throw missing;
  return plan;
}

export function prepareRun(store: Store, home: string, plan: Plan, runId = newRunId()): PreparedRun {
  const cfg = readHfConfig(plan.model);
  const tokenizer = loadTokenizer(plan.model);
  const { training, evaluation } = plan;
  const sizes = { maxLength: Math.min(training.maxLength, cfg.maxSequenceLength), vocabSize: cfg.vocabSize };
  // 1. Check every row of every dataset (each throws DatasetError with file:line reasons).
  const loaded = plan.tasks.map((t) =>
    loadTaskData(t.data, tokenizer, { ...sizes, mapping: toMapping(t.mapping), evalFraction: evaluation.evalFraction, maxEval: evaluation.maxExamples, seed: training.seed }),
  );
  if (evaluation.probe != null) loadProbe(evaluation.probe, tokenizer, { ...sizes, maxEval: evaluation.maxExamples });
  // 2. Copy the files into the content-addressed store (idempotent; the sources are only read).
  const copies = plan.tasks.map((t) => importDataset(t.data, home));
  const probe = evaluation.probe == null ? null : importDataset(evaluation.probe, home);
  const job: TrainerJob = {
    runId,
    runDir: runDir(home, runId),
    modelDir: plan.model,
    backend: plan.backend,
    tasks: plan.tasks.map((t, i) => ({
      name: t.name,
      data: copies[i].path,
      mapping: toMapping(t.mapping),
      steps: stageSteps(loaded[i].train.length, training.batchSize, training.gradAccum, t.steps, t.epochs ?? 1),
    })),
    freeze: { ...plan.freeze },
    training: {
      batchSize: training.batchSize,
      gradAccum: training.gradAccum,
      lr: training.lr,
      schedule: training.schedule,
      warmup: training.warmup,
      weightDecay: training.weightDecay,
      clipNorm: training.clipNorm,
      maxLength: training.maxLength,
      shuffle: training.shuffle,
      seed: training.seed,
      checkpointEvery: training.checkpointEvery,
    },
    evaluation: { ...evaluation, probe: probe?.path ?? null },
  };
  // 3. Record it all at once.
  const stored: StoredPlan = { plan: JSON.parse(planToJson(plan)), job };
  store.transaction(() => {
    store.models.upsert({ path: plan.model, name: basename(plan.model), architecture: cfg.modelType, params: paramSpecs(cfg).reduce((n, s) => n + numel(s.shape), 0) });
    plan.tasks.forEach((t, i) =>
      store.datasets.add({ sha256: copies[i].sha256, name: basename(t.data), format: loaded[i].format, rows: loaded[i].train.length + loaded[i].eval.length, path: copies[i].path, sourcePath: t.data, bytes: copies[i].bytes }),
    );
    store.runs.create({
      id: runId,
      name: plan.name,
      planJson: JSON.stringify(stored),
      modelPath: plan.model,
      strategy: plan.freeze.strategy,
      ratio: plan.freeze.ratio,
      seed: plan.freeze.seed,
      totalSteps: job.tasks.reduce((n, t) => n + t.steps, 0),
    });
    store.stages.insertPlanned(runId, job.tasks.map((t, i) => ({ taskName: t.name, datasetSha256: copies[i].sha256, steps: t.steps })));
  });
  return { runId, job, truncated: loaded.map((l) => l.truncated) };
}
