/**
 * Test helper: a stand-in for the parts of the `electron` module the shell uses, for running the
 * main-process code under plain Node (no Electron binary can be installed here). Each fake
 * records what was done to it, so tests can check the settings and fire the events Electron
 * would fire. Use with `vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule())`.
 */
import { EventEmitter } from 'node:events';

/** An event as Electron passes to will-navigate and friends. */
export class FakeEvent {
  defaultPrevented = false;
  constructor(readonly url = '') {}
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  url = '';
  sent: unknown[][] = [];
  destroyed = false;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  getURL(): string {
    return this.url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(...args: unknown[]): void {
    this.sent.push(args);
  }
  /** Fires a navigation event the way Electron does; returns whether it was refused. */
  navigate(event: 'will-navigate' | 'will-frame-navigate' | 'will-redirect', url: string): boolean {
    const e = new FakeEvent(url);
    this.emit(event, e);
    return e.defaultPrevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.instances.filter((w) => !w.closed);
  }
  readonly webContents = new FakeWebContents();
  loaded: { url?: string; file?: string } | null = null;
  shown = false;
  closed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { url };
    this.webContents.url = url;
    return Promise.resolve();
  }
  loadFile(file: string): Promise<void> {
    this.loaded = { file };
    this.webContents.url = new URL(`file://${file}`).href;
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  focus(): void {}
}

export interface HeadersListener {
  (details: { responseHeaders?: Record<string, string[]> }, callback: (r: { responseHeaders?: Record<string, string[]> }) => void): void;
}

export class FakeSession {
  headersListener: HeadersListener | null = null;
  permissionRequest: ((wc: unknown, permission: string, callback: (granted: boolean) => void, details?: unknown) => void) | null = null;
  permissionCheck: ((wc: unknown, permission: string, origin?: string, details?: unknown) => boolean) | null = null;
  devicePermission: ((details: unknown) => boolean) | null = null;
  webRequest = {
    onHeadersReceived: (listener: HeadersListener): void => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(h: FakeSession['permissionRequest']): void {
    this.permissionRequest = h;
  }
  setPermissionCheckHandler(h: FakeSession['permissionCheck']): void {
    this.permissionCheck = h;
  }
  setDevicePermissionHandler(h: FakeSession['devicePermission']): void {
    this.devicePermission = h;
  }
}

export class FakeIpcMain {
  handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

export class FakeApp extends EventEmitter {
  isPackaged = false;
  sandboxEnabled = false;
  gotLock = true;
  quitCalls = 0;
  exitCode: number | null = null;
  userData = '';
  private ready!: () => void;
  readonly readyPromise = new Promise<void>((resolve) => (this.ready = resolve));
  whenReady(): Promise<void> {
    return this.readyPromise;
  }
  becomeReady(): void {
    this.ready();
  }
  requestSingleInstanceLock(): boolean {
    return this.gotLock;
  }
  enableSandbox(): void {
    this.sandboxEnabled = true;
  }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`the fake app only knows userData, not ${name}`);
    return this.userData;
  }
  quit(): void {
    this.quitCalls++;
  }
  exit(code: number): void {
    this.exitCode = code;
  }
}

export interface FakeElectron {
  app: FakeApp;
  BrowserWindow: typeof FakeBrowserWindow;
  session: { defaultSession: FakeSession };
  ipcMain: FakeIpcMain;
  shell: { opened: string[]; openExternal(url: string): Promise<void> };
  dialog: { errors: { title: string; content: string }[]; showErrorBox(title: string, content: string): void };
}

/** A fresh fake electron module; `current` is the latest one made, for tests to inspect. */
export let current: FakeElectron;

export function electronModule(): FakeElectron {
  FakeBrowserWindow.instances = [];
  const shell = {
    opened: [] as string[],
    openExternal(url: string): Promise<void> {
      shell.opened.push(url);
      return Promise.resolve();
    },
  };
  const dialog = {
    errors: [] as { title: string; content: string }[],
    showErrorBox(title: string, content: string): void {
      dialog.errors.push({ title, content });
    },
  };
  current = { app: new FakeApp(), BrowserWindow: FakeBrowserWindow, session: { defaultSession: new FakeSession() }, ipcMain: new FakeIpcMain(), shell, dialog };
  return current;
}
