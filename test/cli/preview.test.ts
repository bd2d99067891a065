/**
 * `hft preview` shows exactly what will be trained: on the sample model's chat template, only the
 * answer and its end-of-turn token; bad rows are listed by line and make the exit code 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runHft } from './run-hft.js';

const SAMPLE = fileURLToPath(new URL('../../resources/sample', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hft-preview-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PreviewJson {
  format: string | null;
  total: number;
  rows: { line: number; text: string; ids: number[]; tokens: string[]; trained: boolean[] }[];
  errors: { line: number; reason: string }[];
}

describe('hft preview', () => {
  it('marks only the answer and its end-of-turn token as trained', () => {
    const r = runHft(['preview', '--model', SAMPLE, '--data', join(SAMPLE, 'task3-colour-codes.csv'), '--n', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = r.json<PreviewJson>();
    expect(p.format).toBe('prompt-completion');
    expect(p.total).toBe(150);
    expect(p.rows.map((x) => x.line)).toEqual([2, 3, 4]); // CSV lines, after the header
    for (const row of p.rows) {
      expect(row.text).toBe(row.tokens.join(''));
      expect(row.text.startsWith('<|bos|><|im_start|>user\n')).toBe(true);
      const trained = row.tokens.filter((_, i) => row.trained[i]).join('');
      expect(trained).toMatch(/^[a-z](-[a-z])+<\|im_end\|>$/); // the colour code, then the turn's end
      expect(row.text).toContain(`<|im_start|>assistant\n${trained}`);
    }
  });

  it('lists bad rows with their lines, next to the good ones, and exits 1', () => {
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, '{"instruction": "Say hi.", "output": "hi"}\n{"instruction": "Say bye."}\n{"instruction": "x", "output": ""}\n');
    const r = runHft(['preview', '--model', SAMPLE, '--data', file, '--json']);
    expect(r.code).toBe(1);
    const p = r.json<PreviewJson>();
    expect(p.rows.map((x) => x.line)).toEqual([1]);
    expect(p.errors.map((e) => e.line)).toEqual([2, 3]);
    const human = runHft(['preview', '--model', SAMPLE, '--data', file]);
    expect(human.stdout).toContain('[[hi<|im_end|>]]');
    expect(human.stdout).toContain(`${file}:2: `);
  });
});
