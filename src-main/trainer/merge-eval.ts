/**
 * Merge evaluation, inside a trainer process: for each finished stage k of a run and each
 * candidate merge (engine/merge.ts), the merged weights are evaluated on every task seen by stage
 * k and on the prior-knowledge probe, exactly as the run evaluated its own weights. Each result
 * is one cell of that merge's forgetting matrix, sent as a `merge-eval` message.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend.js';
import { paramsFromArrays } from '../engine/load.js';
import { mergeLabel, mergeWithBase } from '../engine/merge.js';
import { readHfConfig } from '../formats/hf-config.js';
import { loadTokenizer } from '../formats/tokenizer/index.js';
import { readCheckpoint } from './checkpoints.js';
import { evaluateSet } from './evaluate.js';
import type { FromTrainer, MergeEvalJob } from './protocol.js';
import { evalSets, loadJobData } from './task-data.js';

export async function evaluateMerges(work: MergeEvalJob, send: (m: FromTrainer) => void): Promise<void> {
  const { job } = work;
  const backend = await initBackend(job.backend === 'auto' ? undefined : job.backend);
  const cfg = readHfConfig(job.modelDir);
  const tokenizer = loadTokenizer(job.modelDir);
  const data = loadJobData(job, cfg, tokenizer);
  send({ type: 'ready', backend: backend.backend, device: backend.device, reason: backend.reason, resumedFrom: null, startStep: 0 });
  const opts = { maxNewTokens: job.evaluation.maxNewTokens, batchSize: job.training.batchSize };
  for (const { stage, checkpoint } of work.stages) {
    const tuned = readCheckpoint(checkpoint.path, checkpoint.manifestSha256).weights;
    for (const merge of work.candidates) {
      const sets = evalSets(job, data, stage);
      send({ type: 'evaluating', afterStage: stage, sets: sets.length });
      const params = paramsFromArrays(cfg, mergeWithBase(cfg, job.modelDir, tuned, merge));
      try {
        for (const set of sets) {
          const r = await evaluateSet(cfg, params, tokenizer, set.rows, opts);
          send({ type: 'merge-eval', merge: mergeLabel(merge), afterStage: stage, task: set.task, name: set.name, ...r });
        }
      } finally {
        tf.dispose(Object.values(params));
      }
    }
  }
  send({ type: 'done' });
}
