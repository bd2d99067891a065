/**
 * The renderer's one way to the main side (DESIGN §2, §10): one function per contract method,
 * typed by the contract's Api. Stores call these; nothing else in the renderer talks to the
 * outside.
 *
 * - In the Electron window the preload has put the contract on `window.hft`; calls go there.
 * - In a browser opened on `hft serve`, calls go over a WebSocket to the page's own host, with the
 *   key from the page's address (page-token.ts).
 * Either way a call resolves with the result or rejects with an Error whose message is plain words,
 * and the contract's events (live run progress) reach onEvent's listeners. The connection is made
 * on the first call, not when this module loads.
 */
import { EVENT_NAMES, METHOD_NAMES, type Api, type EventName, type Events, type MethodName, type Params, type Result } from '../src-main/contract/index.js';
import { API_PATH, TOKEN_PARAM } from '../src-main/contract/wire.js';
import { takePageToken } from './page-token.js';
import { WsClient, type ConnectionState } from './ws-client.js';

interface Backend {
  api: Api;
  on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void;
}

/** The WebSocket's state, or 'no-key': the page has no key, so it never tries to connect. */
export type PageConnection = ConnectionState | 'no-key';

let backend: Backend | null = null;
const stateListeners = new Set<(state: PageConnection) => void>();
const tell = (state: PageConnection): void => stateListeners.forEach((listener) => listener(state));

const NO_KEY = 'This page was opened without its key. Open the address that hft serve printed (it ends with ?token=...).';

function everyMethod(call: (method: MethodName, params: unknown) => Promise<unknown>): Api {
  // Object.fromEntries loses the per-method types; each entry calls its own method's name.
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, (params: unknown) => call(m, params)])) as Api;
}

function createBackend(): Backend {
  const preload = window.hft;
  if (preload !== undefined) return { api: preload, on: (event, listener) => preload.events.on(event, listener) };
  const token = takePageToken({
    location: window.location,
    storage: (() => {
      try {
        return window.sessionStorage;
      } catch {
        return null;
      }
    })(),
    replaceUrl: (url) => window.history.replaceState(window.history.state, '', url),
  });
  if (token === null) {
    tell('no-key');
    return { api: everyMethod(() => Promise.reject(new Error(NO_KEY))), on: () => () => undefined };
  }
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${window.location.host}${API_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
  const client = new WsClient(url, window.location.host, (u) => new WebSocket(u));
  client.onState(tell);
  return {
    api: everyMethod((method, params) => client.call(method, params)),
    on: (event, listener) =>
      client.onEvent((message) => {
        // The server only sends the contract's events; the name decides the data's type.
        if (message.event === event && (EVENT_NAMES as readonly string[]).includes(message.event)) listener(message.data as Events[typeof event]);
      }),
  };
}

function current(): Backend {
  backend ??= createBackend();
  return backend;
}

function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
  return current().api[method](params);
}

/** The contract's methods, e.g. `await api['runs.get']({ runId })`. */
export const api: Api = everyMethod((method, params) => call(method, params as Params<typeof method>));

/** Calls `listener` with each `event` the app pushes (EVENT_NAMES); returns an unsubscribe. */
export function onEvent<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void {
  return current().on(event, listener);
}

/**
 * Follows the connection to `hft serve` (PageConnection); in the Electron window there is no
 * connection to lose and the listener is never called. Returns an unsubscribe.
 */
export function onConnectionState(listener: (state: PageConnection) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}
