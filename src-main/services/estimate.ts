/**
 * `runs.estimate`: what a planned run trains in each stage and the memory one training step needs,
 * for the wizard's freeze-ratio page, computed from config.json alone (no weights read, no tfjs).
 *
 * Stage k trains drawMask(..., stage: k): the masks `masks.draw` shows and the trainer draws when
 * the mask is redrawn each stage (the default). The memory is engine/memory-estimate.ts's peak of
 * one step, the largest over the stages, for rows of maxLength tokens (cut to the model's context,
 * as the trainer cuts them): a batch pads to its longest row, so this is its worst case. One
 * micro-batch per step: with gradient accumulation the running sum of the gradients (4 bytes per
 * trained parameter) is held through the later micro-batches too.
 *
 * Backend. Starting tfjs here to find which backend the trainer would pick is not cheap (the probe
 * loads GPU drivers in a worker), so by default the backend is 'auto' and the figure is the
 * larger one, wasm's, whose tape copies what it keeps: an upper bound for every backend. A caller
 * that knows the backend (the probe's answer) passes it. availableBytes is the memory that backend
 * can use when the machine says: system RAM for cpu, and for wasm at most its 4 GB address space;
 * null for 'auto', webgpu and tensorflow, which may be a GPU whose memory Node cannot see.
 */
import { totalmem } from 'node:os';
import type { Params, TrainingEstimate } from '../contract/index.js';
import { drawMask } from '../engine/masks.js';
import { estimateStepMemory, savedTensorsOn, type StepMemory } from '../engine/memory-estimate.js';
import { paramSpecs } from '../engine/param-specs.js';
import { readHfConfig } from '../formats/hf-config.js';

/** WebAssembly memory is 32-bit. */
const WASM_MEMORY_BYTES = 4 * 2 ** 30;

function availableBytes(backend: string): number | null {
  if (backend === 'cpu') return totalmem();
  if (backend === 'wasm') return Math.min(totalmem(), WASM_MEMORY_BYTES);
  return null;
}

export function estimateTraining(req: Params<'runs.estimate'>, backend = 'auto'): TrainingEstimate {
  const cfg = readHfConfig(req.modelPath);
  const specs = paramSpecs(cfg);
  const shape = {
    batchSize: req.batchSize,
    seqLen: Math.min(req.maxLength, cfg.maxSequenceLength),
    saved: backend === 'auto' ? ('copied' as const) : savedTensorsOn(backend),
  };
  const stages: TrainingEstimate['stages'] = [];
  let peak: StepMemory | null = null;
  let totalParams = 0;
  for (let stage = 0; stage < req.stages; stage++) {
    const mask = drawMask(specs, { strategy: req.strategy, ratio: req.ratio, seed: req.seed, stage, freezeEmbeddings: req.freezeEmbeddings });
    stages.push({ stage, trainableParams: mask.trainableParams });
    totalParams = mask.totalParams;
    const step = estimateStepMemory(cfg, mask, shape);
    if (peak === null || step.peakBytes > peak.peakBytes) peak = step;
  }
  if (peak === null) throw new Error('a training estimate needs at least one stage');
  return { backend, totalParams, stages, peakBytes: peak.peakBytes, parts: peak.parts, availableBytes: availableBytes(backend) };
}
