/**
 * The IPC gate refuses calls from anything but the app's own top-level page, and calls with an
 * unknown method or arguments that break the contract; none of them reaches a handler, and the
 * gate never throws. Sender URLs are checked with the real rendererUrlCheck.
 */
import { describe, expect, it } from 'vitest';
import { createGate, type GateEvent } from '../../src-main/transport/ipc-gate.js';
import { rendererUrlCheck } from '../../src-main/transport/trusted-renderer.js';
import { fakeHandlers } from './fake-handlers.js';

const INDEX = '/app/out/renderer/index.html';
const OWN = 'file:///app/out/renderer/index.html';
const REFUSED = { ok: false, error: "refused: this call did not come from the app's own window" };

const frame = (url: string, parent: unknown = null): GateEvent => ({ senderFrame: { url, parent } });

function setup(devServerUrl?: string) {
  const { handlers, calls } = fakeHandlers();
  const refusals: string[] = [];
  const gate = createGate(handlers, rendererUrlCheck({ indexFile: INDEX, devServerUrl }), (why) => refusals.push(why));
  return { gate, calls, refusals };
}

describe('IPC gate: who may call', () => {
  it.each([OWN, `${OWN}#/history`, `${OWN}?x=1#/runs/3`, 'file:///app/out/renderer/assets/../index.html', 'file:///app/out/renderer/%69ndex.html'])(
    'lets the app page %s call',
    async (url) => {
      const { gate, calls } = setup();
      expect(await gate(frame(url), 'runs.get', { runId: 'r1' })).toEqual({ ok: true, value: { method: 'runs.get', params: { runId: 'r1' } } });
      expect(calls).toHaveLength(1);
    },
  );

  it.each([
    ['another origin', 'https://example.com/'],
    ['an attacker page', 'http://evil/'],
    ['an attacker page named like the app', 'http://evil.example/app/out/renderer/index.html'],
    ['another file in the build', 'file:///app/out/renderer/other.html'],
    ['an asset of the build', 'file:///app/out/renderer/assets/index.js'],
    ['a file elsewhere', 'file:///etc/passwd'],
    ['a file of another path named index.html', 'file:///tmp/renderer/index.html'],
    ['a dot-dot escape', 'file:///app/out/renderer/index.html/../../../etc/passwd'],
    ['a file on a network host', 'file://evil/app/out/renderer/index.html'],
    ['an encoded slash', 'file:///app/out/renderer%2Findex.html'],
    ['a data URL', 'data:text/html,<script>hft.call()</script>'],
    ['about:blank', 'about:blank'],
    ['an empty URL', ''],
    ['a dev server that is not configured', 'http://localhost:5173/'],
  ])('refuses %s', async (_what, url) => {
    const { gate, calls, refusals } = setup();
    expect(await gate(frame(url), 'runs.get', { runId: 'r1' })).toEqual(REFUSED);
    expect(calls).toEqual([]);
    expect(refusals).toHaveLength(1);
  });

  it('refuses a subframe even when it shows the app page', async () => {
    const { gate, calls, refusals } = setup();
    expect(await gate(frame(OWN, { url: OWN }), 'runs.list', {})).toEqual(REFUSED);
    expect(calls).toEqual([]);
    expect(refusals[0]).toMatch(/subframe/);
  });

  it('refuses a sender frame that is gone, missing or unreadable', async () => {
    const { gate, calls } = setup();
    const throwing = {
      get senderFrame(): never {
        throw new Error('Render frame was disposed');
      },
    } as GateEvent;
    const events: unknown[] = [{ senderFrame: null }, {}, undefined, null, throwing, { senderFrame: { url: 42 } }, { senderFrame: {} }];
    for (const event of events) expect(await gate(event as GateEvent, 'runs.list', {})).toEqual(REFUSED);
    expect(calls).toEqual([]);
  });

  it('refuses when the URL check itself throws, and survives a failing logger', async () => {
    const { handlers, calls } = fakeHandlers();
    const gate = createGate(
      handlers,
      () => {
        throw new Error('check broke');
      },
      () => {
        throw new Error('logger broke');
      },
    );
    expect(await gate(frame(OWN), 'runs.list', {})).toEqual(REFUSED);
    expect(calls).toEqual([]);
  });

  it('trusts the dev server origin only when one is configured', async () => {
    const { gate, calls } = setup('http://localhost:5173/');
    expect(await gate(frame('http://localhost:5173/#/home'), 'runs.list', {})).toMatchObject({ ok: true });
    for (const url of ['http://localhost:5174/', 'http://127.0.0.1:5173/', 'https://localhost:5173/', 'http://localhost.evil.com:5173/', 'ws://localhost:5173/']) {
      expect(await gate(frame(url), 'runs.list', {})).toEqual(REFUSED);
    }
    expect(await gate(frame(OWN), 'runs.list', {})).toMatchObject({ ok: true });
    expect(calls).toHaveLength(2);
  });

  it('will not take a remote or https dev server', () => {
    expect(() => rendererUrlCheck({ indexFile: INDEX, devServerUrl: 'http://evil.example:5173/' })).toThrow(/localhost/);
    expect(() => rendererUrlCheck({ indexFile: INDEX, devServerUrl: 'https://localhost:5173/' })).toThrow(/localhost/);
  });
});

describe('IPC gate: what may be called', () => {
  it.each([
    ['an unknown method', 'runs.drop', { runId: 'r1' }, 'unknown method "runs.drop"'],
    ['__proto__', '__proto__', {}, 'unknown method "__proto__"'],
    ['constructor', 'constructor', {}, 'unknown method "constructor"'],
    ['a non-text method', 1, {}, 'the method name must be text, got number'],
    ['an unknown field', 'runs.get', { runId: 'r1', sql: 'drop table runs' }, 'runs.get was called with bad arguments: params has an unknown field "sql"'],
    ['a wrong type', 'runs.get', { runId: ['r1'] }, 'runs.get was called with bad arguments: params.runId must be text, got an array'],
    ['missing arguments', 'models.inspect', undefined, 'models.inspect was called with bad arguments: params must be an object, got undefined'],
    [
      'a __proto__ field',
      'runs.get',
      JSON.parse('{"runId": "r1", "__proto__": {"polluted": true}}') as unknown,
      'runs.get was called with bad arguments: params has an unknown field "__proto__"',
    ],
    [
      'a constructor.prototype field',
      'runs.list',
      JSON.parse('{"constructor": {"prototype": {"polluted": true}}}') as unknown,
      'runs.list was called with bad arguments: params has an unknown field "constructor"',
    ],
  ])('refuses %s from the app page', async (_what, method, params, error) => {
    const { gate, calls } = setup();
    expect(await gate(frame(OWN), method, params)).toEqual({ ok: false, error });
    expect(calls).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports a handler failure as a reply', async () => {
    const { gate } = setup();
    expect(await gate(frame(OWN), 'runs.get', { runId: 'boom' })).toEqual({ ok: false, error: 'no run with id boom' });
  });
});
