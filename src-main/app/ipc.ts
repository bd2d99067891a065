/**
 * Wires the contract into Electron IPC: one call channel (preload/channel.ts), one handler, and that
 * handler is the gate (transport/ipc-gate.ts), which checks the sender frame against the app's
 * own page and every argument against the contract before any service runs.
 */
import { ipcMain } from 'electron';
import type { Handlers } from '../services/api.js';
import { createGate } from '../transport/ipc-gate.js';
import { CALL_CHANNEL } from '../preload/channel.js';

/** Registers the gate; returns a function that removes it again. */
export function registerIpc(handlers: Handlers, isTrustedUrl: (url: string) => boolean): () => void {
  const gate = createGate(handlers, isTrustedUrl, (why) => console.warn(`HFT Studio: refused an IPC call: ${why}`));
  ipcMain.handle(CALL_CHANNEL, (event, method: unknown, params: unknown) => gate(event, method, params));
  return () => ipcMain.removeHandler(CALL_CHANNEL);
}
