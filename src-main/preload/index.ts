/**
 * Preload: the only bridge between the renderer and the main process.
 *
 * A placeholder until the desktop-app issue exposes the typed contract; for now it exposes
 * only the app version, and never the raw ipcRenderer.
 */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('hft', { version: '0.1.0' });
