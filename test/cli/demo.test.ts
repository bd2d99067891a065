/**
 * `hft demo` from a clean data folder, as a new user runs it: both runs (HFT and FFT) finish, are
 * recorded, and come back with full forgetting matrices over the three sample tasks and the probe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHft } from './run-hft.js';

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
  }, 600_000); // about 80 s alone; a busy machine (other test files in parallel) can double it
});
