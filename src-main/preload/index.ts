/**
 * Preload (DESIGN §8): the only bridge between the sandboxed renderer and the main process. It
 * exposes one object, `window.hft`: one function per contract method and `events.on` for the
 * contract's events (bridge.ts), nothing else. The raw ipcRenderer never crosses into the page,
 * and neither does an IPC event object: the page gets closures over `invoke` and `on` only.
 *
 * Built as CommonJS (sandboxed preloads cannot be ES modules) with the contract bundled in.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld(
  'hft',
  createBridge(
    (channel, method, params) => ipcRenderer.invoke(channel, method, params),
    (channel, listener) => {
      const forward = (_event: IpcRendererEvent, name: unknown, data: unknown): void => listener(name, data);
      ipcRenderer.on(channel, forward);
      return () => {
        ipcRenderer.removeListener(channel, forward);
      };
    },
  ),
);
