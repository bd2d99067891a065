/**
 * `hft train`: one HFT stage. Loads a Hugging Face model folder and a tokenized dataset, draws the
 * stage's mask, trains, and writes a complete HF model folder plus mask.json to --out.
 *
 * The folder is written under a temporary name and renamed at the end, so an interrupted run never
 * leaves something that looks like a finished model.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend.js';
import { loadModel, saveModel } from '../../engine/load.js';
import { paramSpecs } from '../../engine/param-specs.js';
import { SCHEDULES } from '../../engine/schedule.js';
import { readTokenizedJsonl } from '../../formats/datasets/tokenized.js';
import { readHfConfig } from '../../formats/hf-config.js';
import { checkOutputFolder, writeDirAtomic } from '../../formats/atomic-dir.js';
import { sourceDtypes } from '../../formats/model-folder.js';
import type { FloatDtype } from '../../formats/safetensors/index.js';
import { stageSteps } from '../../trainer/task-data.js';
import { trainStage } from '../../trainer/train-stage.js';
import { choiceFlag, intFlag, numFlag, parseFlags, required, UsageError } from '../args.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';
import { MASK_FLAGS, maskFromFlags } from './mask.js';

const FLAGS = {
  model: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'grad-accum': { type: 'string' },
  lr: { type: 'string' },
  'lr-schedule': { type: 'string' },
  warmup: { type: 'string' },
  'weight-decay': { type: 'string' },
  'clip-norm': { type: 'string' },
  'no-shuffle': { type: 'boolean' },
  dtype: { type: 'string' },
  force: { type: 'boolean' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
  ...MASK_FLAGS,
} as const;

/**
 * How the trained weights are stored: `--dtype` for every tensor, or else each tensor in its source
 * dtype (so a frozen tensor's bytes come out unchanged, even in a mixed BF16/F32 checkpoint).
 */
function storedDtypes(modelDir: string, flag: string | undefined): { dtype: FloatDtype; dtypes?: Record<string, FloatDtype> } {
  if (flag !== undefined) return { dtype: choiceFlag(flag, '--dtype', ['F32', 'F16', 'BF16'] as const, 'F32') };
  return sourceDtypes(modelDir);
}

export async function train(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, FLAGS);
  const modelDir = required(values.model, '--model');
  const out = required(values.out, '--out');
  const cfgOnly = readHfConfig(modelDir);
  const rows = readTokenizedJsonl(required(values.data, '--data'), { vocabSize: cfgOnly.vocabSize, maxLength: cfgOnly.maxSequenceLength });
  const mask = maskFromFlags(paramSpecs(cfgOnly), values);
  const batchSize = intFlag(values['batch-size'], '--batch-size', 1, 1);
  const accumSteps = intFlag(values['grad-accum'], '--grad-accum', 1, 1);
  if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  const epochs = numFlag(values.epochs, '--epochs', 1, 0);
  if (epochs <= 0) throw new UsageError(`--epochs must be more than 0, got "${values.epochs}"`);
  const steps = stageSteps(rows.length, batchSize, accumSteps, values.steps === undefined ? null : intFlag(values.steps, '--steps', 0, 1), epochs);
  const clip = numFlag(values['clip-norm'], '--clip-norm', 1, 0);
  const hyper = {
    lr: numFlag(values.lr, '--lr', 1e-4, 0),
    schedule: choiceFlag(values['lr-schedule'], '--lr-schedule', SCHEDULES, 'cosine'),
    warmup: intFlag(values.warmup, '--warmup', 0, 0),
    totalSteps: steps,
    weightDecay: numFlag(values['weight-decay'], '--weight-decay', 0, 0),
    betas: [0.9, 0.999] as [number, number],
    eps: 1e-8,
    clipNorm: clip > 0 ? clip : null,
    accumSteps,
  };
  const dtypes = storedDtypes(modelDir, values.dtype);
  const force = values.force === true;
  checkOutputFolder(resolve(out), force); // before training, not after it

  const backend = await initBackend(values.backend);
  process.stderr.write(`backend ${backend.backend} (${backend.device}): ${backend.reason}\n`);
  const { cfg, params } = loadModel(modelDir);
  try {
    const bar = progressBar('train', steps);
    let tokens = 0;
    let ms = 0;
    const result = await trainStage(cfg, params, mask, rows, { steps, batchSize, shuffle: values['no-shuffle'] !== true, seed: mask.seed, hyper }, (r) => {
      tokens += r.tokens;
      ms += r.ms;
      bar.update(r.step, `loss ${r.loss.toFixed(4)} ${Math.round((1000 * tokens) / ms)} tok/s`);
    });
    bar.finish(`final loss ${result.losses[result.losses.length - 1].toFixed(4)}`);
    await writeDirAtomic(out, force, async (tmp) => {
      await saveModel(tmp, cfg, params, { ...dtypes, srcDir: modelDir, metadata: { hft_strategy: mask.strategy, hft_ratio: String(mask.ratio) } });
      writeFileSync(join(tmp, 'mask.json'), `${JSON.stringify(mask, null, 2)}\n`);
    });
    emit(values.json === true, { losses: result.losses, stepMs: result.stepMs, mask, out: resolve(out) }, () =>
      `trained ${steps} steps (${mask.trainableParams.toLocaleString('en-US')} of ${mask.totalParams.toLocaleString('en-US')} parameters), wrote ${resolve(out)}`,
    );
  } finally {
    tf.dispose(Object.values(params));
  }
}
