/**
 * `hft serve` run as a user runs it: the real CLI in a child process, on the real services and a
 * fresh database. It prints one URL line, the page and the API answer on it, and SIGTERM stops it
 * cleanly. The interface comes from a small folder (--ui) so the test does not build one.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';

const HFT = fileURLToPath(new URL('../../src-main/cli/hft.mjs', import.meta.url));
const SOURCE_INDEX = fileURLToPath(new URL('../../src-renderer/index.html', import.meta.url));

let tmp: string;
let ui: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hft-serve-cli-'));
  ui = join(tmp, 'ui');
  mkdirSync(ui);
  writeFileSync(join(ui, 'index.html'), readFileSync(SOURCE_INDEX));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Serving {
  child: ChildProcessWithoutNullStreams;
  firstLine: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Starts `hft serve ARGS` and waits for its first stdout line (or its exit). */
async function startServe(args: string[]): Promise<Serving> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST' && k !== 'NODE_ENV'));
  env.HFT_HOME = join(tmp, 'home');
  env.HFT_DEBUG = '';
  const child = spawn(process.execPath, [HFT, 'serve', ...args], { env });
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const firstLine = await new Promise<string>((done) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (out.includes('\n')) done(out.split('\n')[0] ?? '');
    });
    void exit.then(() => done(out.split('\n')[0] ?? ''));
  });
  return { child, firstLine, stderr: () => err, exit };
}

function call(ws: WebSocket, id: number, method: string, params: unknown): Promise<unknown> {
  return new Promise((done) => {
    const on = (data: WebSocket.RawData): void => {
      const msg = JSON.parse(String(data)) as { id?: unknown };
      if (msg.id === id) {
        ws.off('message', on);
        done(msg);
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

it('prints a URL with a token, serves the page and the API on it, and stops on SIGTERM', async () => {
  const db = join(tmp, 'serve.db');
  const s = await startServe(['--port', '0', '--ui', ui, '--db', db]);
  try {
    expect(s.firstLine, s.stderr()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const url = new URL(s.firstLine);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');

    const ws = new WebSocket(`ws://${url.host}/api?token=${url.searchParams.get('token')}`, { origin: url.origin });
    await new Promise((done, fail) => ws.once('open', done).once('error', fail));
    expect(await call(ws, 1, 'app.info', {})).toMatchObject({ id: 1, ok: true, value: { home: join(tmp, 'home') } });
    expect(await call(ws, 2, 'runs.list', {})).toEqual({ id: 2, ok: true, value: [] });
    expect(await call(ws, 3, 'runs.get', { runId: 'nope' })).toMatchObject({ id: 3, ok: false, error: expect.stringContaining('nope') });
    const closed = new Promise<number>((done) => ws.once('close', (code: number) => done(code)));

    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(await closed).toBe(1001);
    expect(s.stderr()).toContain('stopping');
    expect(existsSync(db)).toBe(true);
  } finally {
    s.child.kill('SIGKILL');
  }
});

it('prints {url, port, token} with --json', async () => {
  const s = await startServe(['--port', '0', '--ui', ui, '--db', join(tmp, 'json.db'), '--json']);
  try {
    const info = JSON.parse(s.firstLine) as { url: string; port: number; token: string };
    expect(info.url).toBe(`http://127.0.0.1:${info.port}/?token=${info.token}`);
    s.child.kill('SIGINT');
    expect(await s.exit).toBe(0);
  } finally {
    s.child.kill('SIGKILL');
  }
});

it('says so when the port asked for is taken, and rejects a bad --port', async () => {
  const blocker = createServer();
  await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const busy = await startServe(['--port', String(port), '--ui', ui, '--db', join(tmp, 'busy.db')]);
    expect(await busy.exit).toBe(1);
    expect(busy.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
  } finally {
    blocker.close();
  }
  const bad = await startServe(['--port', 'eighty', '--ui', ui]);
  expect(await bad.exit).toBe(2);
  expect(bad.stderr()).toContain('--port must be a whole number');
});
