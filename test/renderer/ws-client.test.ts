/**
 * The page's WebSocket client against the real `hft serve` server (transport/ws-server.ts) on a
 * free port, with handlers written here: results and refusals come back in the server's words,
 * concurrent calls are matched by id even when answered out of order, events reach listeners, a
 * wrong key and a server that goes away are told in plain words, and the next call reconnects.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { METHOD_NAMES, type Api } from '../../src-main/contract/index.js';
import { startServer, type RunningServer } from '../../src-main/transport/ws-server.js';
import { WsClient, type ConnectionState, type SocketLike } from '../../src-renderer/ws-client.js';

const SOURCE_INDEX = fileURLToPath(new URL('../../src-renderer/index.html', import.meta.url));

let ui: string;
/** Calls to runs.get wait here until the test lets them go, by run id. */
const held = new Map<string, () => void>();

function handlers(): Api {
  const table: Record<string, (p: unknown) => Promise<unknown>> = {};
  for (const m of METHOD_NAMES) table[m] = async () => ({});
  table['app.info'] = async () => ({ version: '9.9.9', home: '/data', sampleModel: '/sample' });
  table['runs.delete'] = async (p) => {
    throw new Error(`run ${(p as { runId: string }).runId} is running (process 42); stop it before deleting it`);
  };
  table['runs.get'] = (p) => {
    const { runId } = p as { runId: string };
    return new Promise((done) => held.set(runId, () => done({ runId })));
  };
  return table as unknown as Api;
}

/** The browser sends its page's Origin; ws's client must be told to. */
const socketFor = (port: number) => (url: string): SocketLike => new WebSocket(url, { origin: `http://127.0.0.1:${port}` }) as unknown as SocketLike;

async function serve(): Promise<RunningServer> {
  return startServer({ handlers: handlers(), rendererDir: ui, port: 0 });
}

const client = (s: RunningServer, token = s.token): WsClient =>
  new WsClient(`ws://127.0.0.1:${s.port}/api?token=${token}`, `127.0.0.1:${s.port}`, socketFor(s.port));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

beforeAll(() => {
  ui = mkdtempSync(join(tmpdir(), 'hft-ws-client-'));
  writeFileSync(join(ui, 'index.html'), readFileSync(SOURCE_INDEX));
});

afterAll(() => rmSync(ui, { recursive: true, force: true }));

describe('WsClient', () => {
  it('returns results, and refusals and failures in the server’s words', async () => {
    const s = await serve();
    const c = client(s);
    try {
      expect(await c.call('app.info', {})).toEqual({ version: '9.9.9', home: '/data', sampleModel: '/sample' });
      await expect(c.call('runs.delete', { runId: 'r1' })).rejects.toThrow('run r1 is running (process 42); stop it before deleting it');
      await expect(c.call('runs.get', { runId: 5 })).rejects.toThrow('runs.get was called with bad arguments: params.runId must be text, got number');
      await expect(c.call('no.such', {})).rejects.toThrow('unknown method "no.such"');
    } finally {
      c.close();
      await s.close();
    }
  });

  it('matches replies to calls by id when they come back out of order, and passes events on', async () => {
    const s = await serve();
    const c = client(s);
    const events: unknown[] = [];
    c.onEvent((e) => events.push(e));
    try {
      const first = c.call('runs.get', { runId: 'first' });
      const second = c.call('runs.get', { runId: 'second' });
      await until(() => held.has('first') && held.has('second'));
      held.get('second')?.();
      expect(await second).toEqual({ runId: 'second' });
      held.get('first')?.();
      expect(await first).toEqual({ runId: 'first' });
      s.broadcast('run.event', { runId: 'r', kind: 'checkpoint', stage: 0, step: 3 });
      await until(() => events.length === 1);
      expect(events[0]).toEqual({ event: 'run.event', data: { runId: 'r', kind: 'checkpoint', stage: 0, step: 3 } });
    } finally {
      held.clear();
      c.close();
      await s.close();
    }
  });

  it('says so in plain words when the key is wrong', async () => {
    const s = await serve();
    const c = client(s, 'not-the-key');
    const states: ConnectionState[] = [];
    c.onState((st) => states.push(st));
    try {
      await expect(c.call('app.info', {})).rejects.toThrow(`Cannot reach HFT Studio at 127.0.0.1:${s.port}. Check that hft serve is still running`);
      expect(states).toEqual(['connecting', 'unreachable']);
    } finally {
      await s.close();
    }
  });

  it('fails a call in flight when the server goes away, then reconnects on the next call', async () => {
    const s = await serve();
    const c = client(s);
    const states: ConnectionState[] = [];
    c.onState((st) => states.push(st));
    const waiting = expect(c.call('runs.get', { runId: 'never' })).rejects.toThrow(`The connection to HFT Studio at 127.0.0.1:${s.port} was lost`);
    await until(() => held.has('never'));
    await s.close();
    await waiting;
    expect(states).toEqual(['connecting', 'open', 'lost']);
    // Nothing listens on the port any more: the next call tries again and says it cannot reach it.
    await expect(c.call('app.info', {})).rejects.toThrow('Cannot reach HFT Studio');
    held.clear();

    // A server on a port the client knows: the client opens a fresh socket for the next call.
    const s2 = await serve();
    const c2 = client(s2);
    try {
      expect(await c2.call('app.info', {})).toMatchObject({ version: '9.9.9' });
      c2.close();
      expect(await c2.call('app.info', {})).toMatchObject({ version: '9.9.9' });
    } finally {
      c2.close();
      await s2.close();
    }
  });
});
