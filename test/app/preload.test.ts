/**
 * The preload (DESIGN §8) with Electron faked: it exposes exactly one object, `hft`, whose keys
 * are exactly the contract's method names plus `events`; nothing in it is or leads to
 * ipcRenderer; each method calls the one IPC channel and unwraps the gate's Reply; events reach
 * a listener as data only, for contract event names only.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES, METHODS } from '../../src-main/contract/index.js';
import type { HftBridge } from '../../src-main/preload/bridge.js';

const exposed: { key: string; api: unknown }[] = [];
const ipcRenderer = {
  invoke: vi.fn<(channel: string, ...args: unknown[]) => Promise<unknown>>(),
  on: vi.fn<(channel: string, listener: (...args: unknown[]) => void) => void>(),
  removeListener: vi.fn<(channel: string, listener: (...args: unknown[]) => void) => void>(),
  send: vi.fn(),
  sendSync: vi.fn(),
  postMessage: vi.fn(),
};

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.push({ key, api }) },
  ipcRenderer,
}));

await import('../../src-main/preload/index.js');
const hft = exposed[0]!.api as HftBridge;

/** Every value reachable from `root` through own properties (functions' too), depth-first. */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) return;
    seen.add(v);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d && 'value' in d) walk(d.value);
    }
  };
  walk(root);
  return [...seen];
}

beforeEach(() => {
  ipcRenderer.invoke.mockReset();
  ipcRenderer.on.mockReset();
  ipcRenderer.removeListener.mockReset();
});

describe('preload', () => {
  it('exposes one object, hft, and nothing else', () => {
    expect(exposed.map((e) => e.key)).toEqual(['hft']);
  });

  it('has exactly the contract methods and events as keys', () => {
    // METHOD_NAMES is the contract's own list; check it against METHODS' keys so neither can drift.
    expect([...METHOD_NAMES].sort()).toEqual(Object.keys(METHODS).sort());
    expect(Reflect.ownKeys(hft).sort()).toEqual([...METHOD_NAMES, 'events'].sort());
    for (const name of METHOD_NAMES) expect(typeof hft[name], name).toBe('function');
    expect(Reflect.ownKeys(hft.events)).toEqual(['on']);
    expect(Object.isFrozen(hft)).toBe(true);
  });

  it('never exposes ipcRenderer or any of its functions', () => {
    const values = reachable(hft);
    expect(values).not.toContain(ipcRenderer);
    for (const f of Object.values(ipcRenderer)) expect(values).not.toContain(f);
  });

  it('sends each method over the call channel and resolves with the value', async () => {
    ipcRenderer.invoke.mockResolvedValue({ ok: true, value: { id: 'r1' } });
    await expect(hft['runs.get']({ runId: 'r1' })).resolves.toEqual({ id: 'r1' });
    expect(ipcRenderer.invoke.mock.calls).toEqual([['hft:call', 'runs.get', { runId: 'r1' }]]);
    // A falsy value is still a value.
    ipcRenderer.invoke.mockResolvedValue({ ok: true, value: null });
    await expect(hft['runs.list']({})).resolves.toBeNull();
  });

  it('turns a refusal into an Error with the gate’s words', async () => {
    ipcRenderer.invoke.mockResolvedValue({ ok: false, error: 'runs.get was called with bad arguments: params.runId must be text' });
    const err = await hft['runs.get']({ runId: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('runs.get was called with bad arguments: params.runId must be text');
  });

  it('refuses what is not a Reply', async () => {
    for (const bad of [undefined, null, 'ok', { ok: true }, { ok: false }, { ok: false, error: 3 }, { ok: 'yes', value: 1 }]) {
      ipcRenderer.invoke.mockResolvedValue(bad);
      await expect(hft['app.info']({}), JSON.stringify(bad)).rejects.toThrow(/not a reply/);
    }
  });

  it('passes a failed invoke through as a rejection', async () => {
    ipcRenderer.invoke.mockRejectedValue(new Error("No handler registered for 'hft:call'"));
    await expect(hft['app.info']({})).rejects.toThrow("No handler registered for 'hft:call'");
  });

  it('gives an event listener the data only, for its own event name, until unsubscribed', () => {
    const got: unknown[] = [];
    const off = hft.events.on(EVENT_NAMES[0]!, (data) => got.push(data));
    expect(ipcRenderer.on).toHaveBeenCalledTimes(1);
    const [channel, forward] = ipcRenderer.on.mock.calls[0]!;
    expect(channel).toBe('hft:event');
    const ipcEvent = { sender: ipcRenderer, senderId: 0, ports: [] };
    forward(ipcEvent, EVENT_NAMES[0], { runId: 'r1', kind: 'checkpoint', stage: 0, step: 4 });
    forward(ipcEvent, 'other.event', { secret: true });
    expect(got).toEqual([{ runId: 'r1', kind: 'checkpoint', stage: 0, step: 4 }]);
    off();
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith('hft:event', forward);
  });

  it('refuses to subscribe to a name outside the contract, or without a function', () => {
    expect(() => hft.events.on('ipc' as never, () => undefined)).toThrow(/unknown event "ipc"/);
    expect(() => hft.events.on(EVENT_NAMES[0]!, 'x' as never)).toThrow(/needs a function/);
    expect(ipcRenderer.on).not.toHaveBeenCalled();
  });
});
