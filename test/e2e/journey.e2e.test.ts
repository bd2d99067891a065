/**
 * End to end, the journey a new user takes, in Debian's Chromium against the real `hft serve` on an
 * empty data folder: Home → "Try the sample model" → the wizard (model facts; two datasets picked
 * as files, one with a broken row whose line the card names; the fixed file replaces it; the tasks
 * reordered by keyboard; half the model trained per stage; the quick preset; start) → the live run
 * page until it finishes → History → the run's forgetting matrix → export as a Hugging Face folder
 * → the playground, base and fine-tuned side by side.
 *
 * Expected values come from elsewhere than the page's own services: hft.db read with plain SQL, the
 * datasets' bytes hashed here, the exported files parsed here (the safetensors header by hand), the
 * sample's config.json. Every view's controls must have labels. Any console error, page error or
 * request to another host fails the test.
 * A full-page screenshot of every view goes to test-artifacts/screenshots/ (printed by .ci/run).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, SAMPLE, shoot, startServe, watchedPage, type Serving } from './harness.js';

let tmp: string;
let home: string;
let serving: Serving | null = null;
let browser: Browser | null = null;

/** The user's own files: 40 reverse rows (JSONL), and 40 addition rows, once with line 3 broken. */
const files = { reverse: '', addBad: '', addFixed: '' };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hft-journey-'));
  home = join(tmp, 'home');
  const mine = join(tmp, 'my data');
  mkdirSync(mine);
  const reverse = readFileSync(join(SAMPLE, 'task1-reverse.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 40);
  const add = (JSON.parse(readFileSync(join(SAMPLE, 'task2-add.json'), 'utf8')) as unknown[]).slice(0, 40).map((r) => JSON.stringify(r));
  files.reverse = join(mine, 'reverse.jsonl');
  writeFileSync(files.reverse, `${reverse.join('\n')}\n`);
  const broken = [...add];
  broken[2] = broken[2].slice(0, -1); // line 3 loses its closing brace
  files.addBad = join(mine, 'add.jsonl');
  writeFileSync(files.addBad, `${broken.join('\n')}\n`);
  mkdirSync(join(mine, 'fixed'));
  files.addFixed = join(mine, 'fixed', 'add.jsonl');
  writeFileSync(files.addFixed, `${add.join('\n')}\n`);

  serving = await startServe(home);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await serving?.stop();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

/** hft.db, read with plain SQL. */
function sql<T>(query: string, ...args: unknown[]): T[] {
  const db = new Database(join(home, 'hft.db'), { readonly: true });
  try {
    return db.prepare(query).all(...args) as T[];
  } finally {
    db.close();
  }
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

async function next(page: Page, to: string): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^Next: ${to}`) }).click();
}

it('takes a new user from the sample model to a trained, exported model', async () => {
  const { context, page, problems } = await watchedPage(browser!);

  // Home, then "Try the sample": the wizard opens on the sample model, described from its config.json.
  await page.goto(serving!.url);
  await page.getByRole('heading', { level: 1, name: 'Welcome to HFT Studio' }).waitFor();
  await expect.poll(() => page.getByTestId('backend').textContent(), { timeout: 60_000 }).toMatch(/processor|graphics|TensorFlow/);
  await shoot(page, '10-journey-home');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await page.getByRole('heading', { level: 1, name: 'New run' }).waitFor();
  const cfg = JSON.parse(readFileSync(join(SAMPLE, 'config.json'), 'utf8')) as { num_hidden_layers: number };
  const facts = page.getByTestId('wizard-model-facts');
  await facts.waitFor();
  expect(await facts.textContent()).toContain(String(cfg.num_hidden_layers));
  await page.getByTestId('wizard-fit').getByText(/fits/i).first().waitFor();
  await shoot(page, '11-wizard-model');

  // Datasets: both files at once; the broken one names its line and blocks Next.
  await next(page, 'Datasets');
  await page.getByLabel('Choose files…').setInputFiles([files.addBad, files.reverse]);
  const addCard = page.getByRole('region', { name: 'add.jsonl' });
  const reverseCard = page.getByRole('region', { name: 'reverse.jsonl' });
  await expect.poll(() => addCard.getAttribute('data-state')).toBe('problems');
  await expect.poll(() => reverseCard.getAttribute('data-state')).toBe('ready');
  expect(await addCard.locator('.row-errors li').allTextContents()).toEqual([expect.stringMatching(/^line 3: /)]);
  expect(await page.getByRole('button', { name: /^Next: / }).isDisabled()).toBe(true);
  await shoot(page, '12-wizard-datasets-bad-row');
  await addCard.getByLabel('Replace add.jsonl with a fixed file').setInputFiles(files.addFixed);
  await expect.poll(() => addCard.getAttribute('data-state')).toBe('ready');
  expect(await addCard.locator('.row-errors').count()).toBe(0);
  await shoot(page, '13-wizard-datasets-fixed');

  // Task order: picked as add, reverse; "reverse" moves up by keyboard (Alt+ArrowUp).
  await next(page, 'Task order');
  const order = page.getByRole('list', { name: 'Tasks, in training order' }).getByRole('listitem');
  expect(await order.count()).toBe(2);
  expect(await order.nth(0).getAttribute('aria-label')).toMatch(/: add$/);
  await order.nth(1).focus();
  await page.keyboard.press('Alt+ArrowUp');
  await expect.poll(() => order.nth(0).getAttribute('aria-label')).toMatch(/^Task 1 of 2: reverse$/);
  expect(await page.getByTestId('order-announcement').textContent()).toMatch(/reverse/);
  // By dragging (reverse onto the lower half of add: after it), then by its Move up button.
  await order.nth(0).dragTo(order.nth(1), { targetPosition: { x: 20, y: ((await order.nth(1).boundingBox())?.height ?? 40) - 5 } });
  await expect.poll(() => order.nth(0).getAttribute('aria-label')).toBe('Task 1 of 2: add');
  await page.getByRole('button', { name: 'Move reverse up' }).click();
  await expect.poll(() => order.nth(0).getAttribute('aria-label')).toBe('Task 1 of 2: reverse');
  await shoot(page, '14-wizard-order');

  // Freeze ratio: away from and back to half; each stage's trainable count is what the category rule gives.
  await next(page, 'Freeze');
  const slider = page.getByLabel(/^Share of the model trained in each stage/);
  await slider.fill('0.75');
  await page.getByText('Share of the model trained in each stage: 75%').waitFor();
  await slider.fill('0.5');
  await page.getByText('Share of the model trained in each stage: 50%').waitFor();
  await page.getByTestId('mask-grid').first().waitFor();
  await shoot(page, '15-wizard-freeze');

  // Settings: the quick preset, then back to balanced (the sample's recipe); then review and start.
  await next(page, 'Settings');
  const summary = page.getByTestId('wizard-settings-summary');
  await page.getByRole('radio', { name: /^Quick/ }).check();
  await expect.poll(() => summary.textContent()).toContain('60 steps');
  await page.getByRole('radio', { name: /^Balanced/ }).check();
  await expect.poll(() => summary.textContent()).toContain('150 steps');
  await shoot(page, '16-wizard-settings');
  await next(page, 'Review');
  await page.getByLabel('Run name').fill('my first HFT run');
  await shoot(page, '17-wizard-review');
  await page.getByRole('button', { name: 'Start training' }).click();
  await page.waitForFunction(() => window.location.hash.startsWith('#/runs/'), null, { timeout: 60_000 });
  const runId = decodeURIComponent(new URL(page.url()).hash.replace('#/runs/', ''));

  // What was recorded: the plan as the wizard was set, the datasets as the user's (fixed) bytes.
  const [run] = sql<{ name: string; strategy: string; ratio: number; plan_json: string }>('SELECT name, strategy, ratio, plan_json FROM runs WHERE id = ?', runId);
  expect(run).toMatchObject({ name: 'my first HFT run', strategy: 'category', ratio: 0.5 });
  const plan = JSON.parse(run.plan_json) as { job: { tasks: { name: string; data: string }[] } };
  expect(plan.job.tasks.map((t) => t.name)).toEqual(['reverse', 'add']);
  const stored = new Set(sql<{ sha256: string }>('SELECT sha256 FROM datasets').map((d) => d.sha256));
  expect(stored.has(sha256(files.reverse)) && stored.has(sha256(files.addFixed))).toBe(true);
  expect(stored.has(sha256(files.addBad)), 'the broken file was never imported').toBe(false);

  // The live page: progress moves, then the run finishes.
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await progress.waitFor();
  await expect.poll(async () => Number(await progress.getAttribute('aria-valuenow')), { timeout: 120_000 }).toBeGreaterThan(0);
  await shoot(page, '18-run-live');
  await expect.poll(() => sql<{ status: string }>('SELECT status FROM runs WHERE id = ?', runId)[0].status, { timeout: 600_000, interval: 1000 }).toBe('done');
  await page.getByText('Finished', { exact: true }).first().waitFor({ timeout: 30_000 });
  await shoot(page, '19-run-finished');

  // History lists it; its page shows the forgetting matrix as hft.db holds it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
  await page.getByRole('link', { name: 'my first HFT run' }).click();
  const matrix = page.getByTestId('forgetting-matrix');
  await matrix.waitFor();
  const evals = sql<{ after_stage: number; task: number; accuracy: number | null }>('SELECT after_stage, task, accuracy FROM evals WHERE run_id = ?', runId);
  const rows = matrix.locator('tbody tr');
  for (const e of evals) {
    const column = e.task === -1 ? 2 : e.task;
    expect(await rows.nth(e.after_stage + 1).locator('td').nth(column).textContent(), `after stage ${e.after_stage}, task ${e.task}`).toBe(
      e.accuracy === null ? 'no score' : pct(e.accuracy),
    );
  }
  await shoot(page, '20-run-matrix');

  // Export as a Hugging Face folder; the files are read back here.
  await page.getByRole('link', { name: 'Export this model' }).click();
  await page.getByRole('heading', { level: 1, name: /^Export/ }).waitFor();
  const out = join(tmp, 'exported model');
  await page.getByRole('radio', { name: /^Hugging Face folder/ }).check();
  await page.getByLabel('Output folder').fill(out);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByTestId('export-result').waitFor({ timeout: 120_000 });
  expect(await page.getByTestId('export-folder').textContent()).toContain(out);
  await shoot(page, '21-export-done');
  expect(readdirSync(out)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
  expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).num_hidden_layers).toBe(cfg.num_hidden_layers);
  const st = readFileSync(join(out, 'model.safetensors'));
  const header = JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString('utf8')) as Record<string, unknown>;
  expect((header.__metadata__ as Record<string, string>).hft_run_id).toBe(runId);
  expect(Object.keys(header).length - 1).toBe(3 + 9 * cfg.num_hidden_layers); // embeddings, final norm, head; 9 tensors per layer
  expect(sql<{ path: string }>('SELECT path FROM exports WHERE run_id = ?', runId).map((e) => e.path)).toEqual([out]);

  // The playground: the same question to both models, each answer streamed into its own panel.
  await page.getByRole('link', { name: 'Back to the run' }).click();
  await page.getByRole('link', { name: 'Try it in the playground' }).click();
  await page.getByLabel('Your message').fill('Reverse the letters.\nq-u-e');
  await page.getByRole('button', { name: 'Ask both' }).click();
  for (const side of ['base', 'fine-tuned']) {
    await expect.poll(() => page.getByTestId(`answer-${side}`).textContent(), { timeout: 60_000 }).toMatch(/finished its answer|stopped/);
  }
  await shoot(page, '22-playground');

  await context.close();
  expect(problems).toEqual([]);
  expect(existsSync(join(home, 'hft.db'))).toBe(true);
}, 900_000);
