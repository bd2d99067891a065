/**
 * Loading a model peaks at no more than ~1.5x its float32 size (issue: engine foundation, item 9).
 * Measured in a fresh child process with the kernel's peak-RSS counter, for an F32 and a BF16
 * checkpoint of ~25M parameters (100 MB as float32), on the cpu and wasm backends.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeModelWeights } from '../../src-main/formats/safetensors/index.js';
import { parseHfConfig } from '../../src-main/formats/hf-config.js';
import { numel, paramSpecs } from '../../src-main/engine/param-specs.js';

const raw = { model_type: 'llama', vocab_size: 4096, hidden_size: 512, intermediate_size: 1408, num_hidden_layers: 8, num_attention_heads: 8, max_position_embeddings: 64 };

function writeModel(dtype: 'F32' | 'BF16'): string {
  const dir = mkdtempSync(join(tmpdir(), 'hft-mem-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw));
  const tensors = paramSpecs(parseHfConfig(raw)).map((s) => ({
    name: s.name,
    shape: s.shape,
    data: () => {
      const a = new Float32Array(numel(s.shape));
      for (let i = 0; i < a.length; i++) a[i] = (i % 997) / 997 - 0.5;
      return a;
    },
  }));
  writeModelWeights(dir, tensors, { dtype });
  return dir;
}

const CHILD = fileURLToPath(new URL('./load-memory-child.ts', import.meta.url));

describe('model load peak memory', () => {
  for (const dtype of ['F32', 'BF16'] as const) {
    let dir = '';
    beforeAll(() => {
      dir = writeModel(dtype);
    });
    for (const backend of ['cpu', 'wasm']) {
      it(`${dtype} checkpoint on ${backend} peaks at <= 1.5x the float32 size`, () => {
        const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, dir, backend], { encoding: 'utf8', timeout: 120_000 });
        expect(r.status, r.stderr).toBe(0);
        const { peakBytes, floatBytes } = JSON.parse(r.stdout);
        const ratio = peakBytes / floatBytes;
        console.log(`load peak ${dtype} on ${backend}: ${(peakBytes / 2 ** 20).toFixed(1)} MiB for ${(floatBytes / 2 ** 20).toFixed(1)} MiB of float32 = ${ratio.toFixed(2)}x`);
        expect(floatBytes).toBeGreaterThan(90e6);
        expect(ratio).toBeLessThanOrEqual(1.5);
      });
    }
  }
});
