/**
 * The one window factory and the webContents guard (DESIGN §8), with Electron faked: every
 * webPreferences flag, what the window loads, and that navigation, window.open and <webview>
 * are refused while the app's own page stays reachable.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBrowserWindow, FakeEvent, FakeWebContents } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());

const { createAppWindow, secureWebPreferences } = await import('../../src-main/app/window.js');
const { guardWebContents, isExternalLink } = await import('../../src-main/app/web-guard.js');

const OWN = 'file:///opt/hft/out/renderer/index.html';
const isTrustedUrl = (url: string): boolean => url.split('#')[0] === OWN;

function makeWindow(target: { kind: 'url'; url: string } | { kind: 'file'; file: string } = { kind: 'file', file: '/opt/hft/out/renderer/index.html' }) {
  const opened: string[] = [];
  const win = createAppWindow({
    preload: '/opt/hft/out/preload/index.cjs',
    target,
    guard: { isTrustedUrl, openExternal: async (url) => void opened.push(url) },
  }) as unknown as FakeBrowserWindow;
  return { win, opened };
}

beforeEach(() => {
  FakeBrowserWindow.instances = [];
});

describe('window factory', () => {
  it('runs the page isolated and sandboxed, with exactly these web preferences', () => {
    const { win } = makeWindow();
    // The full set: a flag added or dropped later must be a visible change to this list.
    expect(win.options.webPreferences).toStrictEqual({
      preload: '/opt/hft/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    });
    expect(secureWebPreferences('/x')).toStrictEqual({ ...(win.options.webPreferences as object), preload: '/x' });
  });

  it('loads the built page from disk, or the dev server URL, and shows once painted', () => {
    const { win } = makeWindow();
    expect(win.loaded).toEqual({ file: '/opt/hft/out/renderer/index.html' });
    expect(win.shown).toBe(false);
    win.emit('ready-to-show');
    expect(win.shown).toBe(true);
    const dev = makeWindow({ kind: 'url', url: 'http://localhost:5173/' }).win;
    expect(dev.loaded).toEqual({ url: 'http://localhost:5173/' });
  });

  it('guards its webContents before the page loads', () => {
    const { win, opened } = makeWindow();
    const wc = win.webContents;
    expect(wc.navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(wc.navigate('will-navigate', `${OWN}#/runs`)).toBe(false);
    expect(wc.windowOpenHandler?.({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    // The refused https navigation and the https window.open go to the system browser, once each.
    expect(opened).toEqual(['https://evil.example/', 'https://example.com/docs']);
  });
});

describe('webContents guard', () => {
  function guarded() {
    const wc = new FakeWebContents();
    const opened: string[] = [];
    guardWebContents(wc, { isTrustedUrl, openExternal: async (url) => void opened.push(url) });
    return { wc, opened };
  }

  it('refuses navigation anywhere but the app page, in the main frame, subframes and redirects', () => {
    const { wc, opened } = guarded();
    for (const url of ['https://evil.example/', 'http://localhost:5173/', 'file:///etc/passwd', 'file:///opt/hft/out/renderer/other.html', 'javascript:alert(1)', 'data:text/html,hi', 'about:blank', 'not a url']) {
      expect(wc.navigate('will-navigate', url), url).toBe(true);
      expect(wc.navigate('will-frame-navigate', url), url).toBe(true);
      expect(wc.navigate('will-redirect', url), url).toBe(true);
    }
    for (const url of [OWN, `${OWN}#/history`]) {
      expect(wc.navigate('will-navigate', url)).toBe(false);
      expect(wc.navigate('will-frame-navigate', url)).toBe(false);
      expect(wc.navigate('will-redirect', url)).toBe(false);
    }
    // Only the one https main-frame navigation opened outside; subframes and redirects never do.
    expect(opened).toEqual(['https://evil.example/']);
  });

  it('denies every window.open and hands only https links to the system browser', () => {
    const { wc, opened } = guarded();
    const urls = ['https://example.com/a', 'http://example.com/b', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', OWN, 'mailto:a@b.c', ''];
    for (const url of urls) expect(wc.windowOpenHandler?.({ url }), url).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/a']);
  });

  it('refuses <webview> tags', () => {
    const { wc } = guarded();
    const e = new FakeEvent();
    wc.emit('will-attach-webview', e, {}, {});
    expect(e.defaultPrevented).toBe(true);
  });

  it('treats a trust check that throws as untrusted', () => {
    const wc = new FakeWebContents();
    guardWebContents(wc, {
      isTrustedUrl: () => {
        throw new Error('bad url');
      },
      openExternal: async () => undefined,
    });
    expect(wc.navigate('will-navigate', OWN)).toBe(true);
  });

  it('guards a webContents once even when asked twice (factory and web-contents-created)', () => {
    const { wc } = guarded();
    guardWebContents(wc, { isTrustedUrl, openExternal: async () => undefined });
    expect(wc.listenerCount('will-navigate')).toBe(1);
  });

  it('counts only https as an external link', () => {
    expect(['https://a.b/', 'HTTPS://A.B/x'].map(isExternalLink)).toEqual([true, true]);
    expect(['http://a.b/', 'file:///x', 'javascript:1', 'https:', '//a.b', 'a.b'].map(isExternalLink)).toEqual([false, false, false, false, false, false]);
  });
});
