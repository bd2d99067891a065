/**
 * Electron shell entry (DESIGN §2, §8): app lifecycle. Before anything loads it turns on the
 * sandbox for every renderer and guards every webContents; once Electron is ready it sets the
 * CSP header and refuses permissions on the session, opens the store in Electron's userData
 * (with better-sqlite3's Electron build, native-binding.ts), registers the IPC gate over the
 * services' handlers, and opens the one window. Quitting stops live runs at a checkpoint first.
 *
 * One instance at a time: a second launch focuses the first window instead, since the main
 * process must stay the only writer of the data folder.
 */
import { app, BrowserWindow, dialog, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiHandlers } from '../services/api.js';
import { appRoot } from '../services/app-files.js';
import { ChatSessions } from '../services/chat-sessions.js';
import { appPaths } from '../services/home.js';
import { LiveRuns } from '../services/live-runs.js';
import { openStore, type Store } from '../store/index.js';
import { installCsp } from './csp.js';
import { windowEmitter } from './events.js';
import { registerIpc } from './ipc.js';
import { electronSqliteBinding } from './native-binding.js';
import { refuseAllPermissions } from './permissions.js';
import { rendererPlace } from './renderer-target.js';
import { guardWebContents, type GuardOptions } from './web-guard.js';
import { createAppWindow } from './window.js';
import { utilityWorkerLauncher } from './trainer-utility.js';

/** out/main when built; the preload and the renderer sit beside it. */
const mainDir = dirname(fileURLToPath(import.meta.url));

/** How long quitting waits for live runs to reach a checkpoint before it gives up on them, in ms. */
const STOP_RUNS_MS = 60_000;

function start(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();

  const renderer = rendererPlace({ mainDir, packaged: app.isPackaged, devServerUrl: process.env.ELECTRON_RENDERER_URL });
  const guard: GuardOptions = { isTrustedUrl: renderer.isTrustedUrl, openExternal: (url) => shell.openExternal(url) };
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, guard));

  let store: Store | null = null;
  let live: LiveRuns | null = null;
  let chats: ChatSessions | null = null;
  let win: BrowserWindow | null = null;
  const openWindow = (): void => {
    win = createAppWindow({ preload: join(mainDir, '../preload/index.cjs'), target: renderer.target, guard });
    win.on('closed', () => {
      win = null;
    });
  };

  app.on('second-instance', () => {
    if (win === null) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  void app.whenReady().then(() => {
    installCsp(session.defaultSession);
    refuseAllPermissions(session.defaultSession);
    try {
      const home = app.getPath('userData');
      const nativeBinding = electronSqliteBinding(appRoot(), { electron: process.versions.electron, platform: process.platform, arch: process.arch });
      store = openStore(appPaths({ home }).db, { nativeBinding });
      const emit = windowEmitter(() => BrowserWindow.getAllWindows().map((w) => w.webContents), renderer.isTrustedUrl);
      const launcher = utilityWorkerLauncher(join(mainDir, 'trainer.js'));
      live = new LiveRuns(store, home, (e) => emit('run.event', e), launcher);
      chats = new ChatSessions(store, (e) => emit('chat.event', e), launcher);
      const pickFolder = async (title: string): Promise<string | null> => {
        const options = { title, properties: ['openDirectory' as const] };
        const picked = win === null ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(win, options);
        return picked.canceled ? null : (picked.filePaths[0] ?? null);
      };
      registerIpc(apiHandlers({ store, home, emit, live, chats, launcher, pickFolder }), renderer.isTrustedUrl);
    } catch (e) {
      dialog.showErrorBox('HFT Studio cannot start', e instanceof Error ? e.message : String(e));
      store?.close();
      app.exit(1);
      return;
    }
    openWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Quitting stops live runs at a checkpoint first (each stays resumable), then closes the store.
  let stopping = false;
  app.on('before-quit', (event) => {
    void chats?.stopAll();
    if (live === null || stopping) return;
    event.preventDefault();
    stopping = true;
    const runs = live;
    live = null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_RUNS_MS)));
    void Promise.race([runs.stopAll(), timeout])
      .catch((e: unknown) => console.error(`HFT Studio: stopping the live runs failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        clearTimeout(timer);
        app.quit();
      });
  });
  app.on('will-quit', () => store?.close());
}

start();
