/**
 * What the end-to-end tests share: Debian's Chromium, a child `hft` with its own data folder,
 * `hft serve` started on a free port, a page that records every console error, page error and
 * request to another host, and full-page screenshots into test-artifacts/screenshots/ (which
 * .ci/run prints).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HFT = join(ROOT, 'src-main/cli/hft.mjs');
export const SAMPLE = join(ROOT, 'resources/sample');
export const SCREENSHOTS = join(ROOT, 'test-artifacts/screenshots');
/** hft serve rebuilds the interface when its sources are newer than out/renderer (seconds). */
const SERVE_READY_MS = 120_000;

function chromiumPath(): string {
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  const which = spawnSync('which', ['chromium'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status !== 0 || found === '') throw new Error('Chromium is not installed: apt-get install chromium (Debian), as .ci/run does');
  return found;
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  console.log(`screenshots of every view: ${SCREENSHOTS}`);
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}

/** The environment of a child `hft`, as a user's shell would have it, with its own data folder. */
export function hftEnv(home: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST' && k !== 'NODE_ENV'));
  return { ...env, HFT_HOME: home, HFT_DEBUG: '' };
}

/** Runs `hft ARGS` to the end without blocking, so two runs can train at once. */
export function hft(args: string[], home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [HFT, ...args], { env: hftEnv(home) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export interface Serving {
  /** The address it printed, with its key. */
  url: string;
  /** What it has written to stderr so far. */
  stderr(): string;
  /** Ctrl+C: live runs stop at a checkpoint, then it exits. */
  stop(): Promise<void>;
}

export async function startServe(home: string): Promise<Serving> {
  const serve: ChildProcessWithoutNullStreams = spawn(process.execPath, [HFT, 'serve', '--port', '0'], { env: hftEnv(home) });
  let err = '';
  serve.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`hft serve printed no address in ${SERVE_READY_MS / 1000} s: ${err}`)), SERVE_READY_MS);
    serve.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes('\n')) {
        clearTimeout(timer);
        done(out.split('\n')[0].trim());
      }
    });
    serve.on('exit', (code) => fail(new Error(`hft serve exited with ${code}: ${err}`)));
  });
  return {
    url,
    stderr: () => err,
    stop: async () => {
      if (serve.exitCode !== null) return;
      const exited = new Promise((done) => serve.on('exit', done));
      serve.kill('SIGTERM');
      await exited;
    },
  };
}

/** A 1280×800 page whose console errors, page errors and requests to other hosts land in `problems`. */
export async function watchedPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (new URL(r.url()).hostname !== '127.0.0.1') problems.push(`request to another host: ${r.url()}`);
  });
  page.on('websocket', (ws) => {
    if (new URL(ws.url()).hostname !== '127.0.0.1') problems.push(`WebSocket to another host: ${ws.url()}`);
  });
  return { context, page, problems };
}

/** A full-page screenshot of the view, after checking that every control on it has a name (unlabelledControls). */
export async function shoot(page: Page, name: string): Promise<void> {
  const unnamed = await unlabelledControls(page);
  if (unnamed.length > 0) throw new Error(`controls without a label on ${name}: ${unnamed.join(', ')}`);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Every visible or focusable form control and button on the page that has no accessible name (a
 * <label>, aria-label, aria-labelledby, its own text, or a title), described for a failure message.
 * Every view must come back with none.
 */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const textOf = (ids: string): string =>
      ids
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ');
    const nameOf = (el: HTMLElement): string => {
      const labelled = el.getAttribute('aria-labelledby');
      if (labelled) return textOf(labelled);
      const aria = el.getAttribute('aria-label');
      if (aria) return aria;
      const labels = (el as HTMLInputElement).labels;
      const fromLabels = labels ? Array.from(labels).map((l) => l.textContent ?? '').join(' ') : '';
      if (fromLabels.trim() !== '') return fromLabels;
      if (el instanceof HTMLButtonElement || el instanceof HTMLAnchorElement) return el.textContent ?? '';
      return el.getAttribute('title') ?? '';
    };
    const controls = Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button, a[href]')).filter((el) => !(el instanceof HTMLInputElement && el.type === 'hidden'));
    return controls.filter((el) => nameOf(el).trim() === '').map((el) => el.outerHTML.slice(0, 160));
  });
}
