/**
 * IPC wiring (DESIGN §8) with Electron faked: the shell registers the transport's gate on the one
 * call channel, with the app page as the only trusted sender, so a call from any other frame, or
 * with arguments outside the contract, never reaches a handler. Also: where the page is loaded
 * from and which URLs count as it, and that events go only to the app's own page.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES } from '../../src-main/contract/index.js';
import type { Handlers } from '../../src-main/services/api.js';
import { current, FakeWebContents } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());

const { registerIpc } = await import('../../src-main/app/ipc.js');
const { rendererPlace } = await import('../../src-main/app/renderer-target.js');
const { windowEmitter } = await import('../../src-main/app/events.js');

const MAIN_DIR = '/opt/HFT Studio/out/main';
const INDEX = pathToFileURL(join(MAIN_DIR, '..', 'renderer', 'index.html')).href;

function recordingHandlers(): { handlers: Handlers; calls: { method: string; params: unknown }[] } {
  const calls: { method: string; params: unknown }[] = [];
  const table = Object.fromEntries(METHOD_NAMES.map((method) => [method, async (params: unknown) => (calls.push({ method, params }), { answered: method })]));
  return { handlers: table as unknown as Handlers, calls };
}

describe('IPC registration', () => {
  const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const { handlers, calls } = recordingHandlers();
  const place = rendererPlace({ mainDir: MAIN_DIR, packaged: true, devServerUrl: undefined });
  const unregister = registerIpc(handlers, place.isTrustedUrl);
  const handler = current.ipcMain.handlers.get('hft:call')!;
  const call = (url: string | null, method: unknown, params: unknown, parent: unknown = null) =>
    handler({ senderFrame: url === null ? null : { url, parent } }, method, params) as Promise<unknown>;

  it('registers one handler, on the call channel', () => {
    expect([...current.ipcMain.handlers.keys()]).toEqual(['hft:call']);
  });

  it('answers the app page', async () => {
    await expect(call(INDEX, 'runs.get', { runId: 'r1' })).resolves.toEqual({ ok: true, value: { answered: 'runs.get' } });
    await expect(call(`${INDEX}#/history`, 'app.info', {})).resolves.toEqual({ ok: true, value: { answered: 'app.info' } });
    expect(calls).toEqual([
      { method: 'runs.get', params: { runId: 'r1' } },
      { method: 'app.info', params: {} },
    ]);
  });

  it('refuses every other sender before any handler runs', async () => {
    calls.length = 0;
    const strangers = [
      'https://evil.example/',
      'http://localhost:5173/', // a dev server URL, but this app is packaged
      pathToFileURL('/opt/HFT Studio/out/renderer/other.html').href,
      pathToFileURL('/tmp/index.html').href,
      'file://server/opt/HFT%20Studio/out/renderer/index.html',
      'data:text/html,<script>1</script>',
      'about:blank',
      '',
    ];
    for (const url of strangers) {
      const reply = (await call(url, 'runs.delete', { runId: 'r1' })) as { ok: boolean; error: string };
      expect(reply.ok, url).toBe(false);
      expect(reply.error).toMatch(/refused/);
    }
    // A frame that is gone, and a subframe even at the app's own URL.
    expect(await call(null, 'runs.delete', { runId: 'r1' })).toMatchObject({ ok: false });
    expect(await call(INDEX, 'runs.delete', { runId: 'r1' }, { url: INDEX })).toMatchObject({ ok: false });
    expect(calls).toEqual([]);
    // Each refusal is logged with its reason, for whoever reads the app's console.
    expect(warnings).toHaveBeenCalledTimes(strangers.length + 2);
    expect(String(warnings.mock.calls[0]![0])).toMatch(/refused an IPC call: the sender's page is not the app's \(https:\/\/evil\.example\/\)/);
  });

  it('refuses unknown methods and arguments outside the contract before any handler runs', async () => {
    calls.length = 0;
    expect(await call(INDEX, 'runs.nuke', {})).toMatchObject({ ok: false });
    expect(await call(INDEX, '__proto__', {})).toMatchObject({ ok: false });
    expect(await call(INDEX, 'runs.get', { runId: 7 })).toMatchObject({ ok: false });
    expect(await call(INDEX, 'runs.get', { runId: 'r1', extra: true })).toMatchObject({ ok: false });
    expect(await call(INDEX, 'runs.get', undefined)).toMatchObject({ ok: false });
    expect(calls).toEqual([]);
  });

  it('can be removed again', () => {
    unregister();
    expect(current.ipcMain.handlers.size).toBe(0);
  });
});

describe('renderer place', () => {
  it('packaged: loads the built page and trusts exactly that file', () => {
    const place = rendererPlace({ mainDir: MAIN_DIR, packaged: true, devServerUrl: 'http://localhost:5173/' });
    expect(place.target).toEqual({ kind: 'file', file: join(MAIN_DIR, '..', 'renderer', 'index.html') });
    expect(place.isTrustedUrl(INDEX)).toBe(true);
    // ELECTRON_RENDERER_URL is ignored once packaged: it must not let a page elsewhere in.
    expect(place.isTrustedUrl('http://localhost:5173/')).toBe(false);
  });

  it('in development: loads the dev server and trusts its origin', () => {
    const place = rendererPlace({ mainDir: MAIN_DIR, packaged: false, devServerUrl: 'http://localhost:5173/' });
    expect(place.target).toEqual({ kind: 'url', url: 'http://localhost:5173/' });
    expect(place.isTrustedUrl('http://localhost:5173/#/runs')).toBe(true);
    expect(place.isTrustedUrl('http://localhost:5174/')).toBe(false);
    expect(place.isTrustedUrl('https://localhost:5173/')).toBe(false);
  });

  it('without a dev server: the built page', () => {
    expect(rendererPlace({ mainDir: MAIN_DIR, packaged: false, devServerUrl: undefined }).target.kind).toBe('file');
    expect(rendererPlace({ mainDir: MAIN_DIR, packaged: false, devServerUrl: '' }).target.kind).toBe('file');
  });
});

describe('events to the window', () => {
  it('go to the app page only, on the event channel, as (name, data)', () => {
    const own = Object.assign(new FakeWebContents(), { url: INDEX });
    const navigatedAway = Object.assign(new FakeWebContents(), { url: 'https://evil.example/' });
    const destroyed = Object.assign(new FakeWebContents(), { url: INDEX, destroyed: true });
    const emit = windowEmitter(() => [own, navigatedAway, destroyed], rendererPlace({ mainDir: MAIN_DIR, packaged: true, devServerUrl: undefined }).isTrustedUrl);
    const data = { runId: 'r1', kind: 'checkpoint' as const, stage: 0, step: 4 };
    emit('run.event', data);
    expect(own.sent).toEqual([['hft:event', 'run.event', data]]);
    expect(navigatedAway.sent).toEqual([]);
    expect(destroyed.sent).toEqual([]);
  });
});
