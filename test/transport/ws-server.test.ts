/**
 * `hft serve`'s server, run for real on a free port and spoken to with node:http and the `ws`
 * client: each refusal the security design asks for (foreign Host, foreign or missing Origin,
 * wrong or missing token, writes to static paths, directory traversal), the static files with
 * their headers, and the WebSocket's calls, bad messages and events.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES, PortInUseError, startServer, type RunningServer } from '../../src-main/transport/ws-server.js';
import { fakeHandlers, type Call } from './fake-handlers.js';

const SOURCE_INDEX = fileURLToPath(new URL('../../src-renderer/index.html', import.meta.url));
const SECRET = 'SECRET-OUTSIDE-THE-INTERFACE';
const APP_JS = 'console.log("hft");\n';

let tmp: string;
let rendererDir: string;
let server: RunningServer;
let calls: Call[];
let indexHtml: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hft-serve-'));
  // Laid out like the real thing: <root>/out/renderer, with files beside it that must stay private.
  rendererDir = join(tmp, 'out', 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  indexHtml = readFileSync(SOURCE_INDEX, 'utf8');
  writeFileSync(join(rendererDir, 'index.html'), indexHtml);
  writeFileSync(join(rendererDir, 'assets', 'index-abc123.js'), APP_JS);
  writeFileSync(join(rendererDir, 'assets', 'index-abc123.css'), 'body{margin:0}');
  writeFileSync(join(rendererDir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(rendererDir, '.env'), SECRET);
  writeFileSync(join(tmp, 'out', 'package.json'), SECRET);
  writeFileSync(join(tmp, 'package.json'), SECRET);
  symlinkSync(join(tmp, 'package.json'), join(rendererDir, 'assets', 'link.json'));
  const fake = fakeHandlers();
  calls = fake.calls;
  server = await startServer({ handlers: fake.handlers, rendererDir });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** A raw WebSocket handshake: the status the server answers with (101 = accepted). */
function handshake(opts: { path?: string; host?: string; origin?: string | null }): Promise<number> {
  const headers: Record<string, string> = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    Host: opts.host ?? `127.0.0.1:${server.port}`,
  };
  if (opts.origin !== null) headers.Origin = opts.origin ?? `http://127.0.0.1:${server.port}`;
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: opts.path ?? `/api?token=${server.token}`, headers });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      done(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

/** An authenticated client, as the page would open it. */
async function connect(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
  await new Promise<void>((done, fail) => {
    ws.once('open', () => done());
    ws.once('error', fail);
  });
  return ws;
}

const nextMessage = (ws: WebSocket): Promise<unknown> =>
  new Promise((done) => ws.once('message', (data: WebSocket.RawData) => done(JSON.parse(String(data)) as unknown)));

async function exchange(ws: WebSocket, text: string): Promise<unknown> {
  const reply = nextMessage(ws);
  ws.send(text);
  return reply;
}

describe('static files', () => {
  it('serves index.html with the page CSP, the WebSocket allowed, and no caching', async () => {
    const r = await http(`/?token=${server.token}`);
    expect(r.status).toBe(200);
    expect(r.body).toBe(indexHtml);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(indexHtml)?.[1];
    expect(meta).toBeDefined();
    const p = server.port;
    expect(r.headers['content-security-policy']).toBe(`${meta}; connect-src 'self' ws://127.0.0.1:${p} ws://localhost:${p}; frame-ancestors 'none'`);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect((await http('/index.html')).body).toBe(indexHtml);
  });

  it('serves assets with their content types, and HEAD without a body', async () => {
    const js = await http('/assets/index-abc123.js');
    expect([js.status, js.headers['content-type'], js.body]).toEqual([200, 'text/javascript; charset=utf-8', APP_JS]);
    expect(js.headers['content-security-policy']).toMatch(/connect-src/);
    expect((await http('/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await http('/assets/logo.svg')).headers['content-type']).toBe('image/svg+xml');
    const head = await http('/assets/index-abc123.js', { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, String(Buffer.byteLength(APP_JS)), '']);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('answers %s on a static path with 405', async (method) => {
    const r = await http('/index.html', { method });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
  });

  it('answers a plain request to the API path without doing anything', async () => {
    expect((await http('/api')).status).toBe(426);
    expect((await http(`/api?token=${server.token}`, { method: 'POST' })).status).toBe(405);
    expect(calls).toEqual([]);
  });

  it.each([
    '/../package.json',
    '/../../package.json',
    '/assets/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/%2e%2e/package.json',
    '/%2e%2e%2fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/..%5cpackage.json',
  ])('never serves a file outside the folder: %s', async (path) => {
    const r = await http(path);
    expect([403, 404]).toContain(r.status);
    expect(r.body).not.toContain(SECRET);
  });

  it('refuses dotfiles, symlinks leading out, folders, missing files and bad encodings', async () => {
    for (const [path, status] of [['/.env', 404], ['/assets/link.json', 404], ['/assets', 404], ['/assets/', 404], ['/nope.js', 404], ['/%E0%A4%A', 400], ['/a%00b', 400]] as const) {
      const r = await http(path);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.body).not.toContain(SECRET);
    }
  });

  it('answers 403 to a foreign Host (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `0.0.0.0:${server.port}`]) {
      const r = await http('/', { headers: { Host: host } });
      expect([host, r.status]).toEqual([host, 403]);
      expect(r.body).not.toContain('<div id="app">');
    }
    expect((await http('/', { headers: { Host: `localhost:${server.port}` } })).status).toBe(200);
  });
});

describe('WebSocket handshake', () => {
  it('accepts the page itself, as 127.0.0.1 or as localhost', async () => {
    expect(await handshake({})).toBe(101);
    const p = server.port;
    expect(await handshake({ host: `localhost:${p}`, origin: `http://localhost:${p}` })).toBe(101);
  });

  it.each([
    ['a foreign Host', { host: 'evil.example' }],
    ['a rebound Host with the right port', { host: 'evil.example:PORT' }],
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['a foreign Origin on the same port', { origin: 'http://evil.example:PORT' }],
    ['Origin: null', { origin: 'null' }],
    ['a missing Origin', { origin: null }],
    ['an https Origin', { origin: 'https://127.0.0.1:PORT' }],
    ['an Origin on another port', { origin: 'http://127.0.0.1:1' }],
    ['an Origin with a path', { origin: 'http://127.0.0.1:PORT/' }],
    ['a wrong token of the right length', { path: '/api?token=WRONG' }],
    ['a missing token', { path: '/api' }],
    ['an empty token', { path: '/api?token=' }],
    ['a token too long', { path: '/api?token=TOKENx' }],
    ['a token too short', { path: '/api?token=SHORT' }],
    ['the token under another name', { path: '/api?key=TOKEN' }],
  ])('answers 403 to %s', async (_what, opts: { host?: string; origin?: string | null; path?: string }) => {
    const p = String(server.port);
    const flipped = `${server.token[0] === 'A' ? 'B' : 'A'}${server.token.slice(1)}`;
    const fill = (s: string | undefined): string | undefined =>
      s?.replace('PORT', p).replace('WRONG', flipped).replace('TOKEN', server.token).replace('SHORT', server.token.slice(0, 42));
    const status = await handshake({ host: fill(opts.host), origin: opts.origin === null ? null : fill(opts.origin), path: fill(opts.path) });
    expect(status).toBe(403);
  });

  it('has no WebSocket on other paths', async () => {
    expect(await handshake({ path: `/?token=${server.token}` })).toBe(404);
    expect(await handshake({ path: `/api/x?token=${server.token}` })).toBe(404);
  });

  it('makes a new token on every launch', async () => {
    const fake = fakeHandlers();
    const other = await startServer({ handlers: fake.handlers, rendererDir });
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(other.token).not.toBe(server.token);
      expect(other.url).toBe(`http://127.0.0.1:${other.port}/?token=${other.token}`);
    } finally {
      await other.close();
    }
  });
});

describe('WebSocket calls', () => {
  it('answers a good call with its id, and a bad one with plain words, never reaching the handler', async () => {
    const ws = await connect();
    calls.length = 0;
    expect(await exchange(ws, JSON.stringify({ id: 1, method: 'runs.get', params: { runId: 'r1' } }))).toEqual({
      id: 1,
      ok: true,
      value: { method: 'runs.get', params: { runId: 'r1' } },
    });
    expect(await exchange(ws, JSON.stringify({ id: 'b', method: 'runs.get', params: { runId: 5 } }))).toEqual({
      id: 'b',
      ok: false,
      error: 'runs.get was called with bad arguments: params.runId must be text, got number',
    });
    expect(await exchange(ws, '{"id": 3, "method": "runs.get", "params": {"runId": "r1", "__proto__": {"polluted": 1}}}')).toEqual({
      id: 3,
      ok: false,
      error: 'runs.get was called with bad arguments: params has an unknown field "__proto__"',
    });
    expect(await exchange(ws, JSON.stringify({ id: 4, method: '__proto__', params: {} }))).toEqual({ id: 4, ok: false, error: 'unknown method "__proto__"' });
    expect(calls).toEqual([{ method: 'runs.get', params: { runId: 'r1' } }]);
    expect(await exchange(ws, JSON.stringify({ id: 5, method: 'runs.get', params: { runId: 'boom' } }))).toEqual({ id: 5, ok: false, error: 'no run with id boom' });
    expect(await exchange(ws, JSON.stringify({ id: 6, method: 'runs.get', params: { runId: 'bigint' } }))).toMatchObject({ id: 6, ok: false, error: expect.stringMatching(/^the result could not be sent: /) });
    ws.close();
  });

  it('answers unreadable messages with an error and keeps the connection', async () => {
    const ws = await connect();
    calls.length = 0;
    const cases: [string | Buffer, unknown][] = [
      ['{"id": 1, "method": ', { id: null, ok: false, error: 'the message is not valid JSON' }],
      ['', { id: null, ok: false, error: 'the message is not valid JSON' }],
      ['[1, 2]', { id: null, ok: false, error: 'a message must be an object {id, method, params}' }],
      ['null', { id: null, ok: false, error: 'a message must be an object {id, method, params}' }],
      ['{"method": "runs.list", "params": {}}', { id: null, ok: false, error: 'a message needs an id: text of 1 to 200 characters or a whole number' }],
      ['{"id": {"x": 1}, "method": "runs.list", "params": {}}', { id: null, ok: false, error: 'a message needs an id: text of 1 to 200 characters or a whole number' }],
      ['{"id": 1.5, "method": "runs.list", "params": {}}', { id: null, ok: false, error: 'a message needs an id: text of 1 to 200 characters or a whole number' }],
      ['{"id": 7, "method": "runs.list", "params": {}, "token": "x"}', { id: 7, ok: false, error: 'the message has an unknown field "token"' }],
      ['{"id": 8, "method": "runs.list"}', { id: 8, ok: false, error: 'runs.list was called with bad arguments: params must be an object, got undefined' }],
      [Buffer.from('{"id": 9, "method": "runs.list", "params": {}}'), { id: null, ok: false, error: 'messages must be JSON text, not binary' }],
    ];
    for (const [text, reply] of cases) expect(await exchange(ws, text as string)).toEqual(reply);
    expect(calls).toEqual([]);
    expect(await exchange(ws, JSON.stringify({ id: 10, method: 'runs.list', params: {} }))).toMatchObject({ id: 10, ok: true });
    ws.close();
  });

  it('carries the largest dataset upload the contract allows, even when JSON escaping doubles it', async () => {
    const ws = await connect();
    const content = '"'.repeat(12 * 1024 * 1024); // each quote becomes \" on the wire: 24 MiB
    const reply = await exchange(ws, JSON.stringify({ id: 1, method: 'datasets.preview', params: { fileName: 'q.jsonl', content, modelPath: '/m' } }));
    expect(reply).toMatchObject({ id: 1, ok: true });
    expect(calls.at(-1)?.method).toBe('datasets.preview');
    ws.close();
  });

  it('closes a socket that sends more than MAX_MESSAGE_BYTES (1009) and stays up for others', async () => {
    const ws = await connect();
    const closed = new Promise<number>((done) => ws.once('close', (code: number) => done(code)));
    ws.on('error', () => undefined);
    ws.send(`{"id": 1, "method": "runs.list", "params": {"x": "${'a'.repeat(MAX_MESSAGE_BYTES)}"}}`);
    expect(await closed).toBe(1009);
    const again = await connect();
    expect(await exchange(again, JSON.stringify({ id: 2, method: 'runs.list', params: {} }))).toMatchObject({ id: 2, ok: true });
    again.close();
  });

  it('pushes events to every connected page', async () => {
    const [a, b] = [await connect(), await connect()];
    const got = [nextMessage(a), nextMessage(b)];
    server.broadcast('run.event', { runId: 'r1', kind: 'warning', message: 'slow disk' });
    const event = { event: 'run.event', data: { runId: 'r1', kind: 'warning', message: 'slow disk' } };
    expect(await Promise.all(got)).toEqual([event, event]);
    a.close();
    b.close();
  });
});

describe('lifecycle', () => {
  it('refuses a port that is taken, in plain words', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startServer({ handlers: fakeHandlers().handlers, rendererDir, port })).rejects.toThrow(PortInUseError);
      await expect(startServer({ handlers: fakeHandlers().handlers, rendererDir, port })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('refuses to start without a built interface', async () => {
    await expect(startServer({ handlers: fakeHandlers().handlers, rendererDir: join(tmp, 'nothing') })).rejects.toThrow(/the interface is not built: .*index\.html is missing/);
  });

  it('closes its connections and stops listening', async () => {
    const other = await startServer({ handlers: fakeHandlers().handlers, rendererDir });
    const ws = new WebSocket(`ws://127.0.0.1:${other.port}/api?token=${other.token}`, { origin: `http://127.0.0.1:${other.port}` });
    await new Promise((done) => ws.once('open', done));
    const closed = new Promise<number>((done) => ws.once('close', (code: number) => done(code)));
    await other.close();
    expect(await closed).toBe(1001);
    const refused = await new Promise<string>((done) => {
      const req = request({ host: '127.0.0.1', port: other.port, path: '/' }, () => done('answered'));
      req.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
      req.end();
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
