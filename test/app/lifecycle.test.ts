/**
 * The shell's lifecycle (src-main/app/index.ts) with Electron faked: what happens at launch,
 * when Electron is ready, and at quit. The store is real (the Node build of better-sqlite3 stands
 * in for the Electron one, which the fake native-binding hands over as "no override"), so a call
 * through the registered IPC handler reaches the real services.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FakeBrowserWindow, FakeElectron } from './fake-electron.js';

const APP_DIR = fileURLToPath(new URL('../../src-main/app/', import.meta.url));
/** index.ts takes its own folder for out/main: the page and preload are found beside it. */
const PAGE = join(APP_DIR, '..', 'renderer', 'index.html');
const PAGE_URL = pathToFileURL(PAGE).href;

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Imports index.ts afresh with a fresh fake Electron; `binding` plays native-binding.ts. */
async function launch(opts: { binding: () => string | undefined; gotLock?: boolean }): Promise<{ electron: FakeElectron; home: string }> {
  vi.resetModules();
  delete process.env.ELECTRON_RENDERER_URL;
  vi.doMock('electron', async () => {
    const m = (await import('./fake-electron.js')).electronModule();
    m.app.gotLock = opts.gotLock ?? true;
    return m;
  });
  vi.doMock('../../src-main/app/native-binding.js', () => ({ electronSqliteBinding: opts.binding }));
  const electron = (await import('electron')) as unknown as FakeElectron;
  await import('../../src-main/app/index.js');
  const home = mkdtempSync(join(tmpdir(), 'hft-shell-'));
  homes.push(home);
  electron.app.userData = home;
  return { electron, home };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('launch', () => {
  it('sandboxes every renderer and guards every webContents before anything loads', async () => {
    const { electron } = await launch({ binding: () => undefined });
    expect(electron.app.sandboxEnabled).toBe(true);
    expect(electron.app.listenerCount('web-contents-created')).toBe(1);
    const { FakeWebContents, FakeEvent } = await import('./fake-electron.js');
    const other = new FakeWebContents();
    electron.app.emit('web-contents-created', new FakeEvent(), other);
    expect(other.navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(other.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    const webview = new FakeEvent();
    other.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
  });

  it('when ready: CSP and permission refusal on the session, the store in userData, the gate, the window', async () => {
    const { electron, home } = await launch({ binding: () => undefined });
    electron.app.becomeReady();
    await tick();
    const ses = electron.session.defaultSession;
    expect(ses.headersListener).not.toBeNull();
    expect(ses.permissionCheck!({}, 'media')).toBe(false);
    expect(existsSync(join(home, 'hft.db'))).toBe(true);

    const windows = electron.BrowserWindow.getAllWindows() as FakeBrowserWindow[];
    expect(windows).toHaveLength(1);
    expect(windows[0]!.loaded).toEqual({ file: PAGE });
    expect((windows[0]!.options.webPreferences as { preload: string }).preload).toBe(join(APP_DIR, '..', 'preload', 'index.cjs'));

    const call = electron.ipcMain.handlers.get('hft:call')!;
    const info = (await call({ senderFrame: { url: PAGE_URL, parent: null } }, 'app.info', {})) as { ok: boolean; value: { home: string } };
    expect(info.ok).toBe(true);
    expect(info.value.home).toBe(home);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await call({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'app.info', {})).toMatchObject({ ok: false });
  });

  it('says why in a dialog and exits when the store cannot be opened', async () => {
    const { electron } = await launch({
      binding: () => {
        throw new Error('better-sqlite3 has not been built for Electron yet; start the app with `npm start`, which builds it');
      },
    });
    electron.app.becomeReady();
    await tick();
    expect(electron.dialog.errors).toEqual([{ title: 'HFT Studio cannot start', content: expect.stringMatching(/npm start/) as unknown as string }]);
    expect(electron.app.exitCode).toBe(1);
    expect(electron.BrowserWindow.getAllWindows()).toHaveLength(0);
    expect(electron.ipcMain.handlers.size).toBe(0);
  });

  it('a second instance quits at once and leaves the first alone', async () => {
    const { electron } = await launch({ binding: () => undefined, gotLock: false });
    expect(electron.app.quitCalls).toBe(1);
    expect(electron.app.sandboxEnabled).toBe(false);
    expect(electron.app.listenerCount('web-contents-created')).toBe(0);
  });
});

describe('quit', () => {
  it('stops live runs first, then quits and closes the store', async () => {
    const { electron, home } = await launch({ binding: () => undefined });
    electron.app.becomeReady();
    await tick();
    expect(existsSync(join(home, 'hft.db-wal'))).toBe(true);

    electron.app.emit('window-all-closed');
    expect(electron.app.quitCalls).toBe(process.platform === 'darwin' ? 0 : 1);
    const quitsBefore = electron.app.quitCalls;

    const { FakeEvent } = await import('./fake-electron.js');
    const first = new FakeEvent();
    electron.app.emit('before-quit', first);
    expect(first.defaultPrevented).toBe(true); // held until the runs have stopped
    await tick();
    expect(electron.app.quitCalls).toBe(quitsBefore + 1);
    const second = new FakeEvent();
    electron.app.emit('before-quit', second);
    expect(second.defaultPrevented).toBe(false);

    electron.app.emit('will-quit');
    // SQLite removes the write-ahead log when its last connection closes.
    expect(existsSync(join(home, 'hft.db-wal'))).toBe(false);
  });
});
