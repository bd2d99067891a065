/**
 * Engine benchmark (not a test): HFT (category, 0.5) vs full fine-tuning on one backend, and the
 * same model and batch trained by PyTorch, in one run. Prints ratios; asserts nothing.
 *
 *   npm run bench:engine -- [--backend wasm] [--steps 6] [--batch 4] [--seq 64]
 *
 * Step time is the median wall time of `--steps` optimizer steps after 2 warm-up steps, with the
 * three modes interleaved step by step. Peak tensor bytes come from tf.profile of one step of each
 * mode alone (the most tfjs-held bytes at any moment of the step, weights included). The PyTorch peer (test/bench/engine/torch_peer.py) needs Debian's python3-torch.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/engine/backend.js';
import { drawMask, type MaskSpec } from '../../../src-main/engine/masks.js';
import type { Params } from '../../../src-main/engine/model.js';
import { paramSpecs, numel } from '../../../src-main/engine/param-specs.js';
import { TrainStep, type Batch, type TrainHyper } from '../../../src-main/engine/train-step.js';
import { parseHfConfig } from '../../../src-main/formats/hf-config.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '6' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '64' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const seq = Number(values.seq);

// ~27M parameters, shaped like a real LLaMA: the decoder layers hold most of them.
const rawConfig = {
  model_type: 'llama',
  vocab_size: 2048,
  hidden_size: 512,
  intermediate_size: 1376,
  num_hidden_layers: 8,
  num_attention_heads: 8,
  num_key_value_heads: 8,
  max_position_embeddings: 256,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
};
const cfg = parseHfConfig(rawConfig);
const specs = paramSpecs(cfg);
const totalParams = specs.reduce((s, p) => s + numel(p.shape), 0);

function randomParams(): Params {
  const params: Params = {};
  for (const s of specs) {
    params[s.name] = s.kind.endsWith('norm') ? tf.ones(s.shape) : tf.randomNormal(s.shape, 0, 0.02, 'float32', 1);
  }
  return params;
}

function randomBatch(): Batch {
  const rows = Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, t) => (b * 7919 + t * 104729) % cfg.vocabSize));
  return { inputIds: rows, labels: rows };
}

const hyper: TrainHyper = { lr: 1e-4, schedule: 'constant', warmup: 0, totalSteps: steps + 3, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8, clipNorm: null, accumSteps: 1 };

interface Measured {
  stepMs: number;
  stateBytes: number;
  peakBytes: number;
  trainable: string[];
  trainableParams: number;
}

interface Mode {
  spec: MaskSpec;
  params: Params;
  trainer: TrainStep;
  times: number[];
}

function setUp(spec: MaskSpec): Mode {
  const params = randomParams();
  return { spec, params, trainer: new TrainStep(cfg, params, drawMask(specs, spec), hyper), times: [] };
}

function tearDown(m: Mode): void {
  m.trainer.dispose();
  tf.dispose(Object.values(m.params));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Peak tfjs-held bytes of one step (weights included), with this mode alone in memory. */
async function peakBytes(spec: MaskSpec): Promise<number> {
  const m = setUp(spec);
  const b = randomBatch();
  await m.trainer.step([b]);
  const profile = await tf.profile(async () => {
    await m.trainer.step([b]);
  });
  tearDown(m);
  return profile.peakBytes;
}

/**
 * Step times with all modes in memory, interleaved step by step (A B C A B C ...) so that a change
 * in machine load hits every mode alike; the median of `steps` steps after 2 warm-up steps each.
 */
async function measureAll(modeSpecs: MaskSpec[]): Promise<Measured[]> {
  const peaks: number[] = [];
  for (const spec of modeSpecs) peaks.push(await peakBytes(spec));
  const modes = modeSpecs.map(setUp);
  const b = randomBatch();
  for (let i = 0; i < steps + 2; i++) {
    for (const m of modes) {
      const t0 = performance.now();
      await m.trainer.step([b]);
      if (i >= 2) m.times.push(performance.now() - t0);
    }
  }
  const results = modes.map((m, i) => ({
    stepMs: median(m.times),
    stateBytes: m.trainer.optimizerStateBytes(),
    peakBytes: peaks[i],
    trainable: m.trainer.mask.trainable,
    trainableParams: m.trainer.mask.trainableParams,
  }));
  modes.forEach(tearDown);
  return results;
}

function torchPeer(trainable: string[] | null): { tokensPerSec: number; stepMs: number; threads: number } | string {
  const script = fileURLToPath(new URL('./torch_peer.py', import.meta.url));
  const input = JSON.stringify({ config: rawConfig, batch, seq, steps, warmup: 2, trainable });
  const r = spawnSync(values.python!, [script], { input, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `PyTorch peer unavailable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
  return JSON.parse(r.stdout);
}

const fmt = (x: number, d = 2) => x.toFixed(d);
const mb = (b: number) => `${fmt(b / 2 ** 20, 1)} MiB`;

const choice = await initBackend(values.backend);
console.log(`backend ${choice.backend} (${choice.device})`);
console.log(`model: llama, ${(totalParams / 1e6).toFixed(1)}M parameters, batch ${batch} x ${seq} tokens, ${steps} timed steps`);

const base = { ratio: 0.5, seed: 0, stage: 0, freezeEmbeddings: false } as const;
const [fft, hft, hftFrozenEmb] = await measureAll([
  { ...base, strategy: 'full' },
  { ...base, strategy: 'category' },
  { ...base, strategy: 'category', freezeEmbeddings: true },
]);
const tokens = batch * seq;

console.log('\n                        FFT          HFT          HFT+frozen emb');
const row = (label: string, f: (m: Measured) => string) => console.log(`${label.padEnd(22)}  ${f(fft).padEnd(12)} ${f(hft).padEnd(12)} ${f(hftFrozenEmb)}`);
row('trainable params', (m) => `${fmt((100 * m.trainableParams) / totalParams, 1)}%`);
row('step time', (m) => `${fmt(m.stepMs, 0)} ms`);
row('tokens/s', (m) => fmt((1000 * tokens) / m.stepMs, 0));
row('optimizer state', (m) => mb(m.stateBytes));
row('peak tensor bytes', (m) => mb(m.peakBytes));
console.log('\nratios vs FFT (HFT | HFT+frozen emb):');
console.log(`  step time         ${fmt(hft.stepMs / fft.stepMs)} | ${fmt(hftFrozenEmb.stepMs / fft.stepMs)}   (target <= 0.75)`);
console.log(`  optimizer state   ${fmt(hft.stateBytes / fft.stateBytes)} | ${fmt(hftFrozenEmb.stateBytes / fft.stateBytes)}   (target 0.5)`);
console.log(`  peak tensor bytes ${fmt(hft.peakBytes / fft.peakBytes)} | ${fmt(hftFrozenEmb.peakBytes / fft.peakBytes)}`);

const torchFft = torchPeer(null);
const torchHft = torchPeer(hft.trainable);
console.log('\nPyTorch (same config and batch, torch.optim.AdamW, CPU):');
for (const [label, ours, peer] of [['FFT', fft, torchFft], ['HFT', hft, torchHft]] as const) {
  if (typeof peer === 'string') {
    console.log(`  ${label}: ${peer}`);
    continue;
  }
  const oursTps = (1000 * tokens) / ours.stepMs;
  console.log(`  ${label}: ours ${fmt(oursTps, 0)} tok/s, PyTorch ${fmt(peer.tokensPerSec, 0)} tok/s (${peer.threads} threads), ours/PyTorch ${fmt(oursTps / peer.tokensPerSec)}`);
}
if (typeof torchFft !== 'string' && typeof torchHft !== 'string') {
  console.log(`  PyTorch's own HFT/FFT step-time ratio: ${fmt(torchHft.stepMs / torchFft.stepMs)} (ours ${fmt(hft.stepMs / fft.stepMs)})`);
}
process.exit(0);
