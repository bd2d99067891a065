/**
 * The one window factory (DESIGN §8): every BrowserWindow the app opens comes from here, with
 * the renderer isolated from Node and from the preload (contextIsolation, sandbox, no Node
 * integration anywhere), web security on, and its webContents guarded (web-guard.ts) before the
 * page loads. The window shows once the page has painted, so the user never sees a white flash.
 */
import { BrowserWindow } from 'electron';
import type { RendererTarget } from './renderer-target.js';
import { guardWebContents, type GuardOptions } from './web-guard.js';

/** The settings every window's page runs with; tests check each flag. */
export function secureWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    // A file dropped outside a drop zone must not replace the app with that file.
    navigateOnDragDrop: false,
    safeDialogs: true,
  } as const;
}

export interface WindowOptions {
  /** Absolute path of the built preload (out/preload/index.cjs). */
  preload: string;
  target: RendererTarget;
  guard: GuardOptions;
  title?: string;
}

export function createAppWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 560,
    title: opts.title ?? 'HFT Studio',
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences(opts.preload),
  });
  guardWebContents(win.webContents, opts.guard);
  win.once('ready-to-show', () => win.show());
  const loading = opts.target.kind === 'url' ? win.loadURL(opts.target.url) : win.loadFile(opts.target.file);
  // A failed load leaves Chromium's error page in the window; say why on the console, do not crash.
  loading.catch((e: unknown) => console.error(`HFT Studio: the window's page did not load: ${e instanceof Error ? e.message : String(e)}`));
  return win;
}
