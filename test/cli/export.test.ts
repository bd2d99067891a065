/**
 * `hft export` and `hft merges` as a user runs them, on a small finished run: the folder and its
 * record, the merges' matrices before choosing, and one-line refusals for bad input.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyRun, type TinyRun } from '../services/tiny-run.js';
import { runHft } from './run-hft.js';

let t: TinyRun;
let runId: string;
const hft = (args: string[], timeoutMs?: number) => runHft([...args, '--db', t.db], timeoutMs, { HFT_HOME: t.home });

beforeAll(() => {
  t = tinyRun();
  const r = hft(['run', t.plan, '--json'], 300_000);
  expect(r.code, r.stderr).toBe(0);
  runId = r.json<{ runs: { id: string }[] }>().runs[0].id;
}, 300_000);
afterAll(() => rmSync(t.root, { recursive: true, force: true }));

interface MergesJson {
  candidates: { merge: string; accuracy: (number | null)[][]; op: number | null; bwt: number | null; probe: (number | null)[] }[];
}

describe('hft merges, then hft export', () => {
  it('shows the forgetting matrix of each merge candidate', () => {
    const r = hft(['merges', runId, '--alpha', '0.25', '--json'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const { candidates } = r.json<MergesJson>();
    expect(candidates.map((c) => c.merge)).toEqual(['none', 'average(alpha=0.25)', 'half-reset(seed=1)']);
    for (const c of candidates) expect(c.accuracy).toHaveLength(2);
    const human = hft(['merges', runId, '--alpha', '0.25']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/merge average\(alpha=0\.25\)[\s\S]*OP [\d.-]+\s+BWT/);
    expect(human.stdout).toContain(`hft export ${runId} --out DIR --merge average --alpha 0.25`);
  }, 300_000);

  it('exports the chosen merge and says what it keeps', () => {
    const out = join(t.root, 'exported');
    const r = hft(['export', runId, '--out', out, '--merge', 'average', '--alpha', '0.25']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/exported stage 2 of run .* \(merge average\(alpha=0\.25\)\) as a Hugging Face folder/);
    expect(r.stdout).toMatch(/this merge, evaluated: average\(alpha=0\.25\): OP/);
    expect(r.stderr).toMatch(/export done/);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const json = hft(['export', runId, '--out', join(t.root, 'stage1'), '--stage', '1', '--json']).json<{ stage: number; merge: string; files: string[] }>();
    expect([json.stage, json.merge]).toEqual([1, 'none']);
    expect(json.files.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
  });

  it('refuses bad input with one line, and touches nothing', () => {
    const taken = join(t.root, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'notes.txt'), 'keep');
    const cases: [string[], RegExp][] = [
      [['export', runId], /--out/],
      [['export', '--out', taken], /give the run id/],
      [['export', 'nope', '--out', join(t.root, 'x')], /no run with id nope/],
      [['export', runId, '--out', taken], /exists and is not empty.*--force/],
      [['export', runId, '--out', join(t.root, 'x'), '--format', 'onnx'], /--format must be one of safetensors, gguf/],
      [['export', runId, '--out', join(t.root, 'x'), '--type', 'Q8_0'], /--type applies to --format gguf/],
      [['export', runId, '--out', join(t.root, 'x'), '--merge', 'half-reset', '--alpha', '0.5'], /--alpha only applies to --merge average/],
      [['export', runId, '--out', join(t.root, 'x'), '--merge', 'average', '--alpha', '2'], /alpha must be a number from 0 to 1/],
      [['export', runId, '--out', join(t.root, 'x'), '--stage', '3'], /stages 1 to 2; there is no stage 3/],
      [['export', runId, '--out', join(t.root, 'x'), '--stage', '0'], /--stage must be a stage number from 1/],
      [['export', runId, '--out', t.model, '--force'], /would replace/],
    ];
    for (const [args, reason] of cases) {
      const r = hft(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(reason);
    }
    expect(existsSync(join(t.root, 'x'))).toBe(false);
    expect(readFileSync(join(taken, 'notes.txt'), 'utf8')).toBe('keep');
  });
});
