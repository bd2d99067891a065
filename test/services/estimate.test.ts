/**
 * `runs.estimate` (services/estimate.ts) on the bundled sample model: each stage's trainable
 * parameters are those of the mask `masks.draw` draws for that stage (a different one each stage
 * for category 0.5), the total is what model.safetensors holds, HFT needs less memory than full
 * fine-tuning, rows longer than the model's context are cut to it, and what each backend reports.
 * The memory arithmetic itself is checked against measured steps in test/engine/memory-estimate.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Params } from '../../src-main/contract/index.js';
import { drawMask } from '../../src-main/engine/masks.js';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { readHfConfig } from '../../src-main/formats/hf-config.js';
import { sampleModelDir } from '../../src-main/services/app-files.js';
import { estimateTraining } from '../../src-main/services/estimate.js';

const SAMPLE = sampleModelDir();
const REQ: Params<'runs.estimate'> = {
  modelPath: SAMPLE,
  strategy: 'category',
  ratio: 0.5,
  seed: 3,
  stages: 4,
  freezeEmbeddings: false,
  batchSize: 4,
  maxLength: 64,
};

/** Elements in a safetensors file, from its header (8-byte length, then JSON). */
function safetensorsElements(file: string): number {
  const buf = readFileSync(file);
  const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape?: number[] }>;
  return Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .reduce((n, [, t]) => n + (t.shape ?? []).reduce((a, b) => a * b, 1), 0);
}

describe('runs.estimate', () => {
  const temp: string[] = [];
  afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("trains, per stage, what masks.draw's mask for that stage trains; category 0.5 redraws each stage", () => {
    const e = estimateTraining(REQ);
    const specs = paramSpecs(readHfConfig(SAMPLE)); // as masks.draw does
    const masks = [0, 1, 2, 3].map((stage) => drawMask(specs, { strategy: 'category', ratio: 0.5, seed: 3, stage, freezeEmbeddings: false }));
    expect(e.stages).toEqual(masks.map((m, stage) => ({ stage, trainableParams: m.trainableParams })));
    expect(masks[1].trainable).not.toEqual(masks[0].trainable);
    expect(e.totalParams).toBe(safetensorsElements(join(SAMPLE, 'model.safetensors')));
    for (const s of e.stages) expect(s.trainableParams).toBeLessThan(e.totalParams);
  });

  it('full fine-tuning trains everything in every stage and needs more memory than HFT', () => {
    const hft = estimateTraining(REQ);
    const full = estimateTraining({ ...REQ, strategy: 'full' });
    for (const s of full.stages) expect(s.trainableParams).toBe(full.totalParams);
    expect(hft.peakBytes).toBeLessThan(full.peakBytes);
    expect(hft.parts.optimizer).toBeLessThan(full.parts.optimizer);
    for (const e of [hft, full]) {
      const { weights, gradients, optimizer, activations } = e.parts;
      expect(weights + gradients + optimizer + activations).toBe(e.peakBytes);
      expect(weights).toBe(4 * e.totalParams); // float32 in memory, whatever the file's dtype
    }
  });

  it('takes the largest stage, grows with the batch, and cuts rows to the model context', () => {
    const context = readHfConfig(SAMPLE).maxSequenceLength;
    expect(estimateTraining(REQ).peakBytes).toBeGreaterThanOrEqual(estimateTraining({ ...REQ, stages: 1 }).peakBytes);
    expect(estimateTraining({ ...REQ, batchSize: 8 }).peakBytes).toBeGreaterThan(estimateTraining(REQ).peakBytes);
    expect(estimateTraining({ ...REQ, maxLength: 100 * context })).toEqual(estimateTraining({ ...REQ, maxLength: context }));
  });

  it("reports 'auto' with wasm's upper-bound figure by default; a known backend gets its own", () => {
    const auto = estimateTraining(REQ);
    const wasm = estimateTraining(REQ, 'wasm');
    const cpu = estimateTraining(REQ, 'cpu');
    expect(auto).toMatchObject({ backend: 'auto', availableBytes: null, peakBytes: wasm.peakBytes });
    expect(wasm).toMatchObject({ backend: 'wasm', availableBytes: Math.min(totalmem(), 4 * 2 ** 30) });
    expect(cpu).toMatchObject({ backend: 'cpu', availableBytes: totalmem() });
    expect(cpu.peakBytes).toBeLessThan(wasm.peakBytes); // cpu's tape shares what wasm's copies
    expect(estimateTraining(REQ, 'webgpu').availableBytes).toBeNull();
  });

  it('says plainly when the folder is not a model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hft-estimate-'));
    temp.push(dir);
    expect(() => estimateTraining({ ...REQ, modelPath: dir })).toThrow(/config\.json/);
  });
});
