/**
 * End to end: the real interface in Debian's Chromium (driven by playwright-core) against the real
 * `hft serve`, on a data folder holding two runs trained by the real `hft run`:
 *   Home shows the runs, the app's version and data folder; "Try the sample" shows the sample
 *   model in words; History searches and opens a run; the run's page shows its stages, the
 *   forgetting matrix with the percentages the database holds, OP and BWT, and the mask picture
 *   of each stage, cell for cell the tensors the trainer recorded; a run is deleted after a
 *   confirmation (Escape cancels); the page keeps working after a reload without the key in its
 *   address.
 * Expected values are read from hft.db with plain SQL and from the sample's config.json, not
 * through the services the page uses. Any console error, page error, or request to a host other
 * than 127.0.0.1 fails the test. A full-page screenshot of every view goes to
 * test-artifacts/screenshots/ at the project root.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tinyRun, type TinyRun } from '../services/tiny-run.js';
import { hft, launchChromium, ROOT, SAMPLE, shoot, startServe, watchedPage, type Serving } from './harness.js';

let tmp: string;
let home: string;
let tiny: TinyRun;
let serving: Serving | null = null;
let url: string;
let browser: Browser | null = null;

/** The sample model on two of its tasks, with its prior-knowledge quiz: about 8 s here. */
function samplePlan(): string {
  const plan = {
    name: 'sample: reverse then add',
    model: SAMPLE,
    tasks: [
      { name: 'reverse', data: join(SAMPLE, 'task1-reverse.jsonl'), steps: 30 },
      { name: 'add', data: join(SAMPLE, 'task2-add.json'), steps: 12 },
    ],
    freeze: { strategy: 'category', ratio: 0.5, seed: 0 },
    training: { batchSize: 8, lr: 0.004, maxLength: 64, checkpointEvery: 50 },
    evaluation: { evalFraction: 0.1, maxExamples: 8, probe: join(SAMPLE, 'probe.jsonl'), maxNewTokens: 12 },
    backend: 'wasm',
  };
  const file = join(tmp, 'sample-plan.json');
  writeFileSync(file, JSON.stringify(plan, null, 2));
  return file;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hft-e2e-'));
  home = join(tmp, 'home');
  tiny = tinyRun();
  const [a, b] = await Promise.all([hft(['run', samplePlan()], home), hft(['run', tiny.plan], home)]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);

  serving = await startServe(home);
  url = serving.url;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await serving?.stop();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  if (tiny !== undefined) rmSync(tiny.root, { recursive: true, force: true });
});

interface DbRun {
  id: string;
  name: string;
  op: number | null;
  bwt: number | null;
}

/** What hft.db holds, read with plain SQL (not through the services the page calls). */
function readDb(): { runs: DbRun[]; evals: (runId: string) => { after_stage: number; task: number; accuracy: number | null }[]; masks: (runId: string) => string[][] } {
  const db = new Database(join(home, 'hft.db'), { readonly: true });
  try {
    const runs = db.prepare('SELECT id, name, op, bwt FROM runs').all() as DbRun[];
    const evals = new Map(runs.map((r) => [r.id, db.prepare('SELECT after_stage, task, accuracy FROM evals WHERE run_id = ?').all(r.id) as { after_stage: number; task: number; accuracy: number | null }[]]));
    const masks = new Map(
      runs.map((r) => [
        r.id,
        (db.prepare('SELECT mask_json FROM stages WHERE run_id = ? ORDER BY idx').all(r.id) as { mask_json: string }[]).map(
          (s) => (JSON.parse(s.mask_json) as { trainable: string[] }).trainable,
        ),
      ]),
    );
    return { runs, evals: (id) => evals.get(id) ?? [], masks: (id) => masks.get(id) ?? [] };
  } finally {
    db.close();
  }
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

it('walks Home, the sample model, History, a run with its forgetting matrix and masks, and deleting a run', async () => {
  const db = readDb();
  const sample = db.runs.find((r) => r.name === 'sample: reverse then add');
  const tinyRec = db.runs.find((r) => r.name === 'tiny');
  expect(sample, 'the sample run is recorded').toBeDefined();
  expect(tinyRec, 'the tiny run is recorded').toBeDefined();
  if (sample === undefined || tinyRec === undefined) return;

  const { context, page, problems } = await watchedPage(browser!);

  // Home: both runs, newest first, with OP and BWT as the database has them.
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: 'Welcome to HFT Studio' }).waitFor();
  expect(page.url(), 'the key is taken out of the address').not.toContain('token=');
  const recent = page.locator('table.runs tbody tr');
  await expect.poll(() => recent.count()).toBe(2);
  const sampleRow = page.locator(`tr[data-run-id="${sample.id}"]`);
  await expect.poll(() => sampleRow.locator('td[data-cell="op"]').textContent()).toBe(pct(sample.op!));
  expect(await sampleRow.getByText('Finished').count()).toBe(1);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const facts = page.getByTestId('app-info');
  await expect.poll(() => facts.textContent()).toContain(pkg.version);
  expect(await facts.textContent()).toContain(home);
  await shoot(page, '01-home');

  // The sample's details: its facts in words, against its config.json.
  await page.getByRole('link', { name: 'What is in it?' }).click();
  await page.getByRole('heading', { level: 1, name: 'The sample model' }).waitFor();
  const cfg = JSON.parse(readFileSync(join(SAMPLE, 'config.json'), 'utf8')) as { num_hidden_layers: number; hidden_size: number; vocab_size: number };
  const modelFacts = page.getByTestId('model-facts');
  await modelFacts.waitFor();
  const factText = (name: string) => modelFacts.locator(`dt:text-is("${name}") + dd`).textContent();
  expect(await factText('Architecture')).toBe('Llama');
  expect(await factText('Layers')).toContain(String(cfg.num_hidden_layers));
  expect(await factText('Layer width')).toContain(String(cfg.hidden_size));
  expect(await factText('Vocabulary')).toContain(String(cfg.vocab_size));
  expect(await factText('Stored as')).toContain('F32');
  await page.getByTestId('mask-grid').waitFor();
  await shoot(page, '02-sample-model');

  // History: search narrows the list; open the run by keyboard.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
  await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(2);
  // Compare: both runs' loss curves overlaid, with a row each in the table.
  await page.getByRole('checkbox', { name: `Select ${sample.name} to compare` }).check();
  await page.getByRole('checkbox', { name: `Select ${tinyRec.name} to compare` }).check();
  await page.getByRole('button', { name: 'Compare selected (2)' }).click();
  const compared = page.getByTestId('compare-table').locator('tbody tr');
  await expect.poll(() => compared.count()).toBe(2);
  expect((await compared.allTextContents()).join('\n')).toContain(sample.name);
  await page.locator('canvas').first().waitFor();
  await shoot(page, '03a-compare');
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
  await page.getByLabel('Search by name').fill('SAMPLE');
  await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(1);
  await shoot(page, '03-history-search');
  await page.getByRole('link', { name: sample.name }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: sample.name }).waitFor();

  // The forgetting matrix: every recorded score in its cell (row: before, then after stage k;
  // column: the task, or prior knowledge for the probe), and "not yet" above the diagonal.
  const matrix = page.getByTestId('forgetting-matrix');
  await matrix.waitFor();
  const rows = matrix.locator('tbody tr');
  expect(await rows.count()).toBe(3);
  expect(await rows.nth(0).locator('th').textContent()).toBe('before (base model)');
  expect(await rows.nth(1).locator('th').textContent()).toBe('after stage 1: reverse');
  expect(await matrix.locator('thead th').allTextContents()).toEqual(['Tested', 'reverse', 'add', 'prior knowledge']);
  const evals = db.evals(sample.id);
  expect(evals.length).toBe(3 + 2 + 3); // before: 2 tasks + probe; stage 1: task 1 + probe; stage 2: 2 tasks + probe
  for (const e of evals) {
    const column = e.task === -1 ? 2 : e.task;
    const text = await rows.nth(e.after_stage + 1).locator('td').nth(column).textContent();
    expect(text, `after stage ${e.after_stage}, task ${e.task}`).toBe(e.accuracy === null ? 'no score' : pct(e.accuracy));
  }
  expect(await rows.nth(1).locator('td').nth(1).textContent()).toBe('not yet');
  expect(await page.getByTestId('op').textContent()).toBe(pct(sample.op!));
  const bwt = sample.bwt!;
  expect(await page.getByTestId('bwt').textContent()).toBe(Math.abs(bwt) < 0.0005 ? '0.0 points' : `${bwt < 0 ? '\u2212' : '+'}${Math.abs(100 * bwt).toFixed(1)} points`);

  // Stages: both finished, every step done.
  const stageRows = page.getByTestId('stages').locator('tbody tr');
  expect(await stageRows.nth(0).textContent()).toMatch(/reverse\s*Finished\s*30 of 30/);
  expect(await stageRows.nth(1).textContent()).toMatch(/add\s*Finished\s*12 of 12/);

  // The mask pictures: each cell is exactly what the trainer recorded for that stage, and at 0.5
  // the category rule trains 2 of q, k, v, o in every layer.
  const masks = db.masks(sample.id);
  const kinds: Record<string, string> = {
    q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj',
    gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj', input_norm: 'input_layernorm', post_norm: 'post_attention_layernorm',
  };
  for (let stage = 0; stage < masks.length; stage++) {
    const trained = new Set(masks[stage]);
    const grid = page.locator(`.mask-item[data-stage="${stage}"]`).getByTestId('mask-grid');
    const layerRows = grid.locator('tbody tr');
    expect(await layerRows.count()).toBe(cfg.num_hidden_layers);
    for (let layer = 0; layer < cfg.num_hidden_layers; layer++) {
      let attention = 0;
      for (const [kind, hfName] of Object.entries(kinds)) {
        const shown = (await layerRows.nth(layer).locator(`td[data-kind="${kind}"]`).getAttribute('data-trained')) === 'true';
        expect(shown, `stage ${stage + 1}, layer ${layer}, ${kind}`).toBe(trained.has(`model.layers.${layer}.${hfName}.weight`));
        if (shown && ['q', 'k', 'v', 'o'].includes(kind)) attention++;
      }
      expect(attention, `stage ${stage + 1}, layer ${layer}: trained among q, k, v, o`).toBe(2);
    }
  }
  await shoot(page, '04-run');

  // Delete the tiny run: Escape cancels, the confirm button deletes.
  await page.getByRole('link', { name: 'All runs' }).click();
  await page.getByLabel('Search by name').fill('');
  await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(2);
  await page.getByRole('button', { name: `Delete run ${tinyRec.name}` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  expect(await dialog.getByRole('heading').textContent()).toBe(`Delete “${tinyRec.name}”?`);
  await shoot(page, '05-delete-confirm');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect(readDb().runs.map((r) => r.name).sort()).toEqual([sample.name, tinyRec.name].sort());
  await page.getByRole('button', { name: `Delete run ${tinyRec.name}` }).click();
  await dialog.getByRole('button', { name: 'Delete run' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(1);
  expect(readDb().runs.map((r) => r.name)).toEqual([sample.name]);
  await shoot(page, '06-history-after-delete');

  // A reload still works: the key was kept for this tab when it left the address.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
  await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(1);

  await context.close();
  expect(problems).toEqual([]);
}, 120_000);

it('says in plain words what to do when the page has no key or a stale one', async () => {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  const { origin } = new URL(url);

  await page.goto(`${origin}/`);
  await page.getByRole('heading', { level: 1, name: 'Open HFT Studio from its address' }).waitFor();
  expect(await page.getByRole('alert').count()).toBe(1);
  expect(await page.getByRole('alert').textContent()).toContain('find the address it printed');
  await shoot(page, '07-no-key');
  expect(errors, 'no key: nothing is even tried').toEqual([]);

  // A key from an earlier `hft serve`: the server refuses the handshake (403), which Chromium
  // itself reports on the console; the page says what to do.
  await page.goto(`${origin}/?token=${'x'.repeat(43)}#/history`);
  const refused = page.getByRole('alert').filter({ hasText: `Cannot reach HFT Studio at ${new URL(url).host}` });
  await refused.waitFor();
  expect(await refused.textContent()).toContain('open the new address it printed');
  await shoot(page, '08-stale-key');
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) expect(e).toMatch(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/api\?token=x+' failed/);
  await context.close();
}, 60_000);

