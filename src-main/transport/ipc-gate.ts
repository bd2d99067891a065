/**
 * The Electron IPC gate (DESIGN §8): the one place where calls from a renderer enter the main
 * process. It checks who is calling (the sender frame must be the app's own top-level page),
 * then hands the call to `dispatch`, which checks the method and its argument against the
 * contract. It never throws and never lets a refused call reach a handler.
 *
 * Written without importing electron, so it runs under plain Node in unit tests. The shell wires
 * it up as `ipcMain.handle(channel, (event, method, params) => gate(event, method, params))`;
 * Electron's IpcMainInvokeEvent fits GateEvent as it is.
 */
import type { Api, Reply } from '../contract/index.js';
import { dispatch } from './dispatch.js';

/** What the gate needs of Electron's IpcMainInvokeEvent. */
export interface GateEvent {
  /**
   * The frame that sent the call; null when it has navigated away or been destroyed. `parent` is
   * null for a top-level frame (WebFrameMain.parent); when present and not null, the sender is
   * a subframe, which is refused whatever its URL.
   */
  readonly senderFrame: { readonly url: string; readonly parent?: unknown } | null;
}

export type Gate = (event: GateEvent, method: unknown, params: unknown) => Promise<Reply<unknown>>;

const REFUSED = "refused: this call did not come from the app's own window";

/**
 * Builds the gate. `isTrustedUrl` says whether a frame URL is the app's own renderer (see
 * rendererUrlCheck in trusted-renderer.ts: the built index.html's file:// URL, or the dev
 * server). `onRefused`, if given, hears why each call was refused (for the shell's log).
 */
export function createGate(handlers: Api, isTrustedUrl: (url: string) => boolean, onRefused?: (why: string) => void): Gate {
  const refuse = (why: string): Reply<unknown> => {
    try {
      onRefused?.(why);
    } catch {
      // A failing logger must not turn a refusal into a crash.
    }
    return { ok: false, error: REFUSED };
  };
  return async (event, method, params) => {
    let frame: GateEvent['senderFrame'];
    let url: unknown;
    let parent: unknown;
    try {
      frame = event?.senderFrame ?? null;
      url = frame?.url;
      parent = frame?.parent;
    } catch {
      return refuse('the sender frame could not be read');
    }
    if (frame === null) return refuse('the sender frame is gone (navigated away or destroyed)');
    if (typeof url !== 'string') return refuse('the sender frame has no URL');
    if (parent !== undefined && parent !== null) return refuse(`the sender is a subframe (${url})`);
    let trusted = false;
    try {
      trusted = isTrustedUrl(url) === true;
    } catch {
      trusted = false;
    }
    if (!trusted) return refuse(`the sender's page is not the app's (${url})`);
    return dispatch(handlers, method, params);
  };
}
