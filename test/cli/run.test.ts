/**
 * `hft run`, `hft runs` and `hft resume` as a user runs them: a plan over their own JSONL and CSV
 * files; Ctrl-C stops at a checkpoint and `resume` finishes with the same result; a bad dataset
 * or plan is refused with file:line reasons and leaves the database as it was.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyRun, type TinyRun } from '../services/tiny-run.js';
import { runHft } from './run-hft.js';

interface RunJson {
  runs: { id: string; status: string; accuracy: (number | null)[][]; op: number | null; bwt: number | null; error: string | null }[];
}

let t: TinyRun;
beforeAll(() => {
  t = tinyRun();
});
afterAll(() => rmSync(t.root, { recursive: true, force: true }));

const db = () => ['--db', t.db];
const hft = (args: string[], timeoutMs?: number) => runHft(args, timeoutMs, { HFT_HOME: t.home });

describe('hft run / runs / resume', () => {
  let finished: RunJson['runs'][number];

  it('runs a two-task plan over JSONL and CSV files and prints the forgetting matrix', () => {
    const r = hft(['run', t.plan, ...db(), '--json'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    finished = r.json<RunJson>().runs[0];
    expect(finished.status).toBe('done');
    expect(finished.accuracy.length).toBe(2);
    expect(r.stderr).toMatch(/2 stages, 20 \+ 16 steps/);
    expect(r.stderr).toMatch(/run \[#+\] 36\/36 100%/);
    const human = hft(['runs', ...db()]);
    expect(human.stdout).toContain(finished.id);
    expect(human.stdout).toMatch(/done\s+category\s+0\.5/);
    const listed = hft(['runs', ...db(), '--json']).json<{ runs: { id: string; status: string; op: number | null }[] }>().runs;
    expect(listed).toEqual([expect.objectContaining({ id: finished.id, status: 'done', op: finished.op })]);
  });

  it('stops cleanly on Ctrl-C, and `hft resume` finishes with the same result', async () => {
    const bin = fileURLToPath(new URL('../../src-main/cli/hft.mjs', import.meta.url));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST' && k !== 'NODE_ENV'));
    const child = spawn(process.execPath, [bin, 'run', t.plan, ...db()], { env: { ...env, HFT_HOME: t.home } });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (!signalled && /run \[#*\.*\] [1-9]/.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(signalled).toBe(true);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/stopping at a clean checkpoint/);
    const id = /continue it with: npx hft resume (\S+)/.exec(stderr)?.[1];
    expect(id, stderr).toBeDefined();
    const paused = hft(['runs', ...db(), '--json']).json<{ runs: { id: string; status: string }[] }>().runs.find((r) => r.id === id);
    expect(paused?.status).toBe('paused');

    const resumed = hft(['resume', id!, ...db(), '--json'], 300_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/continuing after step \d+/);
    const end = resumed.json<RunJson>().runs[0];
    expect(end.status).toBe('done');
    expect(end.accuracy).toEqual(finished.accuracy);
    expect(end.op).toBe(finished.op);
    expect(end.bwt).toBe(finished.bwt);
  });

  it('refuses a bad dataset with file:line reasons and records nothing', () => {
    const before = readFileSync(t.db);
    const bad = join(t.root, 'bad.jsonl');
    writeFileSync(bad, '{"instruction": "a", "output": "b"}\n{"instruction": "c"}\nnot json\n');
    const plan = join(t.root, 'bad-data.plan.json');
    writeFileSync(plan, JSON.stringify({ model: './model', tasks: [{ data: 'reverse.jsonl' }, { data: 'bad.jsonl' }], backend: 'wasm' }));
    const r = hft(['run', plan, ...db()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2:`);
    expect(r.stderr).toContain(`${bad}:3:`);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^hft run: .*bad\.jsonl:2: .*\(and 1 more/);
    expect(readFileSync(t.db).equals(before)).toBe(true);
  });

  it('refuses a bad plan with the line of each problem and records nothing', () => {
    const before = readFileSync(t.db);
    const plan = join(t.root, 'bad.plan.json');
    writeFileSync(plan, '{\n  "model": "./model",\n  "tasks": [{"data": "reverse.jsonl"}],\n  "training": {"lr": -1, "batchsize": 4}\n}\n');
    const r = hft(['run', plan, ...db()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${plan.replace(/[.\\]/g, '\\$&')}:4: training\\.lr`));
    expect(r.stderr).toMatch(/did you mean training\.batchSize/);
    expect(readFileSync(t.db).equals(before)).toBe(true);
  });

  it('explains an unknown run id', () => {
    const r = hft(['resume', 'no-such-run', ...db()]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('hft resume: no run with id no-such-run; `hft runs` lists them');
  });
});
