/**
 * Failure reasons, as the main side words them (trainer-host.ts, runs.ts, the dataset readers,
 * the model loaders, checkpoints.ts), sorted into advice a person can act on.
 */
import { describe, expect, it } from 'vitest';
import { failureAdvice } from '../../src-renderer/failure-advice.js';

describe('failure-advice', () => {
  it('suggests a smaller batch or shorter examples when memory ran out, even if the process was killed', () => {
    for (const reason of [
      'the trainer ran out of memory; try a smaller batch size or shorter sequences (training.maxLength)',
      'the trainer process was killed (SIGKILL): out of memory; try a smaller training.batchSize or training.maxLength',
      'RangeError: Array buffer allocation failed',
      'Aborted(Cannot enlarge memory arrays to size 2147549184 bytes)',
    ]) {
      const a = failureAdvice(reason);
      expect(a.kind, reason).toBe('out-of-memory');
      expect(a.advice).toMatch(/smaller batch size/);
      expect(a.advice).toMatch(/shorter maximum length/);
      expect(a.resumable).toBe(false);
    }
  });

  it('points at the dataset line to fix, and says a new run is needed', () => {
    const a = failureAdvice('/home/ann/.hft-studio/datasets/3f2a9c.jsonl:12: no known fields (found "q", "a"); expected alpaca fields (and 2 more bad rows)');
    expect(a.kind).toBe('data');
    expect(a.where).toEqual({ file: '/home/ann/.hft-studio/datasets/3f2a9c.jsonl', line: 12 });
    expect(a.summary).toBe('A row of a dataset has a problem, at line 12: no known fields (found "q", "a"); expected alpaca fields (and 2 more bad rows)');
    expect(a.advice).toMatch(/fix line 12/);
    expect(a.resumable).toBe(false);
    // A problem with the whole file (line 0 is left out of the message).
    const whole = failureAdvice('C:\\data\\tasks.csv: cannot read the file (EACCES)');
    expect(whole.kind).toBe('data');
    expect(whole.where).toEqual({ file: 'C:\\data\\tasks.csv', line: 0 });
    expect(whole.summary).toBe('A dataset file has a problem: cannot read the file (EACCES)');
  });

  it('sends a damaged checkpoint back to Resume, which skips it', () => {
    const a = failureAdvice('checkpoint /h/runs/r1/stage-1/step-40: model.safetensors is corrupt (its sha256 differs from the manifest)');
    expect(a.kind).toBe('checkpoint');
    expect(a.summary).toBe('A saved checkpoint of this run is damaged: model.safetensors is corrupt (its sha256 differs from the manifest).');
    expect(a.resumable).toBe(true);
  });

  it('asks to check the model folder when its files cannot be read, including its config.json', () => {
    for (const reason of [
      'config.json: "num_hidden_layers" must be a positive integer, got 0',
      '/models/qwen/tokenizer.json: INVALID_FORMAT: chat_template must be a string',
      '/models/qwen: tensor "model.layers.3.mlp.up_proj.weight" is missing (config.json describes 4 layers)',
      '/models/qwen/model.safetensors: unexpected end of file at byte 1024 (file changed after open?)',
    ]) {
      const a = failureAdvice(reason);
      expect(a.kind, reason).toBe('model');
      expect(a.advice).toMatch(/config\.json, tokenizer\.json/);
      expect(a.resumable).toBe(true);
    }
  });

  it('offers Resume from the last checkpoint when the trainer process was killed or exited', () => {
    for (const reason of [
      'the trainer process was killed (SIGKILL)',
      'the trainer process exited with code 1 before finishing: Error: boom',
      'the trainer ended without finishing the run',
    ]) {
      const a = failureAdvice(reason);
      expect(a.kind, reason).toBe('stopped');
      expect(a.advice).toMatch(/^Press Resume: training continues from the last checkpoint/);
      expect(a.resumable).toBe(true);
    }
  });

  it('keeps a general suggestion for anything else', () => {
    const a = failureAdvice('WebGPU device lost');
    expect(a.kind).toBe('unknown');
    expect(a.resumable).toBe(true);
    expect(a.where).toBeNull();
  });
});
