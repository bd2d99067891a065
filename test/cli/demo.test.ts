/**
 * `hft demo` from a clean data folder, as a new user runs it: both runs (HFT and FFT) finish, are
 * recorded, and come back with full forgetting matrices over the three sample tasks and the probe.
 * Then what the user does next with the HFT run: compares the merges, exports the model as a
 * Hugging Face folder (PyTorch, through a separate Python reader, gives the same logits as our
 * engine) and as GGUF (@huggingface/gguf reads the architecture, tokenizer and chat template; the
 * Modelfile is beside it), and chats with it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gguf } from '@huggingface/gguf';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel } from '../../src-main/engine/load.js';
import { forward } from '../../src-main/engine/model.js';
import { runHft } from './run-hft.js';

const SAMPLE = fileURLToPath(new URL('../../resources/sample/', import.meta.url));

const home = mkdtempSync(join(tmpdir(), 'hft-demo-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

interface DemoJson {
  runs: {
    id: string; name: string; status: string; strategy: string; tasks: string[]; accuracy: (number | null)[][]; probe: (number | null)[];
    base: { accuracy: (number | null)[]; probe: number | null }; op: number | null; bwt: number | null;
  }[];
}

describe('hft demo', () => {
  it('trains the sample tasks with HFT and FFT, records both, and reports both matrices', () => {
    const started = Date.now();
    const r = runHft(['demo', '--json'], 600_000, { HFT_HOME: home });
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.stderr).toBe(0);
    process.stdout.write(`hft demo took ${seconds.toFixed(0)} s\n`);
    const { runs } = r.json<DemoJson>();
    expect(runs.map((x) => [x.strategy, x.status])).toEqual([['category', 'done'], ['full', 'done']]);
    for (const run of runs) {
      expect(run.tasks).toHaveLength(3);
      run.accuracy.forEach((row, k) => row.forEach((v, i) => expect(v === null, `${run.name} R[${k}][${i}]`).toBe(i > k)));
      expect(run.probe.every((v) => v !== null)).toBe(true);
      expect(run.base.accuracy.every((v) => v !== null)).toBe(true);
      expect(run.base.probe).toBeGreaterThanOrEqual(0.9); // the sample model knows its facts before fine-tuning
      expect(run.op).not.toBeNull();
      expect(run.bwt).not.toBeNull();
    }
    const listed = runHft(['runs', '--json'], 60_000, { HFT_HOME: home }).json<{ runs: { id: string }[] }>().runs.map((x) => x.id);
    expect(listed.sort()).toEqual(runs.map((x) => x.id).sort());
    hftRun = runs[0].id;
  }, 600_000); // about 80 s alone; a busy machine (other test files in parallel) can double it

  it('then: the merges\' matrices, before choosing one', () => {
    const r = runHft(['merges', hftRun, '--json'], 600_000, { HFT_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const { candidates } = r.json<{ candidates: { merge: string; probe: (number | null)[]; op: number | null }[] }>();
    expect(candidates.map((c) => c.merge)).toEqual(['none', 'average(alpha=0.5)', 'half-reset(seed=0)']);
    for (const c of candidates) expect(c.probe.every((v) => v !== null) && c.op !== null).toBe(true);
    // Averaging gives back prior knowledge the fine-tuned model lost (sample: about 97% vs 28%).
    expect(candidates[1].probe[2]!).toBeGreaterThan(candidates[0].probe[2]!);
  }, 600_000);

  it('then: a Hugging Face folder whose logits PyTorch reproduces through its own reader', async () => {
    const out = join(home, 'export-hf');
    const r = runHft(['export', hftRun, '--out', out, '--json'], 120_000, { HFT_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const ids = [[507, 509, 270, 10, 296, 272, 261, 291, 275, 419, 273, 98, 300, 63, 510, 10, 509, 269, 10]];
    const script = fileURLToPath(new URL('../fixtures/torch_logits.py', import.meta.url));
    const py = JSON.parse(execFileSync('/usr/bin/python3', [script, out, JSON.stringify(ids)], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    expect(py.metadata.hft_run_id).toBe(hftRun);
    await initBackend('wasm');
    const { cfg, params } = loadModel(out);
    const ours = tf.tidy(() => forward(cfg, params, tf.tensor2d(ids, [1, ids[0].length], 'int32')).arraySync() as number[][][]);
    tf.dispose(Object.values(params));
    const diff = Math.max(...ours[0].flatMap((row, t) => row.map((v, k) => Math.abs(v - py.logits[0][t][k]))));
    expect(diff).toBeLessThan(1e-4);
  }, 120_000);

  it('then: GGUF with the architecture, tokenizer and chat template, and an Ollama Modelfile', async () => {
    const out = join(home, 'export-gguf');
    const r = runHft(['export', hftRun, '--out', out, '--format', 'gguf', '--type', 'Q8_0'], 120_000, { HFT_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const parsed = await gguf(join(out, 'model.gguf'), { allowLocalFile: true });
    const metadata = parsed.metadata as Record<string, unknown>;
    const tensorInfos = parsed.tensorInfos;
    const config = JSON.parse(readFileSync(join(SAMPLE, 'tokenizer_config.json'), 'utf8'));
    expect(metadata['general.architecture']).toBe('llama');
    expect(metadata['tokenizer.ggml.model']).toBe('gpt2');
    expect((metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(512);
    expect(metadata['tokenizer.chat_template']).toBe(config.chat_template);
    expect(metadata['tokenizer.ggml.eos_token_id']).toBe(510);
    expect(tensorInfos).toHaveLength(4 * 9 + 3);
    const modelfile = readFileSync(join(out, 'Modelfile'), 'utf8');
    expect(modelfile).toMatch(/^FROM \.\/model\.gguf$/m);
    expect(modelfile).toMatch(/^PARAMETER stop "<\|im_end\|>"$/m);
    expect(modelfile).toMatch(/TEMPLATE """[\s\S]*<\|im_start\|>assistant/);
  }, 120_000);

  it('then: hft chat answers a sample task correctly with the fine-tuned model', () => {
    // Task 1 (reverse the letters) after stage 1, where the run scored 100% on it.
    const r = runHft(['chat', '--run', hftRun, '--stage', '1', '--prompt', 'Reverse the letters.\n\nq-u-e', '--json'], 120_000, { HFT_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const { answers } = r.json<{ answers: { model: string; text: string; stoppedBy: string }[] }>();
    expect(answers).toEqual([expect.objectContaining({ model: 'fine-tuned', text: 'e-u-q', stoppedBy: 'eos' })]);
  }, 120_000);
});

let hftRun = '';
