/**
 * Builds the object the preload exposes as `window.hft`: one function per contract method
 * (METHOD_NAMES) and one `events` key, nothing else.
 * - A method sends `(name, params)` over the call channel and unwraps the gate's Reply: it
 *   resolves with the value, or rejects with an Error in the gate's words.
 * - `events.on(name, listener)` subscribes to one of the contract's EVENT_NAMES; the listener
 *   gets the event's data only (never Electron's IPC event, which would hand the page a way to
 *   the sender). It returns the function that unsubscribes.
 *
 * Pure: it gets `invoke` and `subscribe` from the caller, so it runs under plain Node in tests and
 * never holds ipcRenderer itself; the functions it returns close over those two only.
 */
import { EVENT_NAMES, METHOD_NAMES, type Api, type EventName, type Events, type MethodName, type Params, type Result } from '../contract/index.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channel.js';

/** ipcRenderer.invoke, narrowed to what the bridge uses. */
export type Invoke = (channel: string, method: MethodName, params: unknown) => Promise<unknown>;

/** Listens on an IPC channel with the sender's arguments only; returns the unsubscribe. */
export type Subscribe = (channel: string, listener: (name: unknown, data: unknown) => void) => () => void;

export interface EventsBridge {
  on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void;
}

/** `window.hft` in the Electron window. */
export type HftBridge = Api & { readonly events: EventsBridge };

/** The value of a Reply; an Error for a refusal, a failure or anything that is not a Reply. */
export function unwrapReply(method: MethodName, reply: unknown): unknown {
  if (typeof reply === 'object' && reply !== null) {
    const r = reply as { ok?: unknown; value?: unknown; error?: unknown };
    if (r.ok === true && 'value' in r) return r.value;
    if (r.ok === false && typeof r.error === 'string') throw new Error(r.error);
  }
  throw new Error(`${method}: the main process sent back something that is not a reply; restart the app`);
}

function method<M extends MethodName>(invoke: Invoke, name: M): (params: Params<M>) => Promise<Result<M>> {
  return async (params) => unwrapReply(name, await invoke(CALL_CHANNEL, name, params)) as Result<M>;
}

function eventsBridge(subscribe: Subscribe): EventsBridge {
  return Object.freeze({
    on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void {
      if (!(EVENT_NAMES as readonly unknown[]).includes(event)) throw new Error(`unknown event ${JSON.stringify(event)}; the app sends ${EVENT_NAMES.join(', ')}`);
      if (typeof listener !== 'function') throw new Error(`events.on(${event}, ...) needs a function to call`);
      return subscribe(EVENT_CHANNEL, (name, data) => {
        if (name === event) listener(data as Events[E]);
      });
    },
  });
}

export function createBridge(invoke: Invoke, subscribe: Subscribe): HftBridge {
  // Object.fromEntries loses the per-key types; each entry is method(invoke, name) for its own name.
  const api = Object.fromEntries(METHOD_NAMES.map((name) => [name, method(invoke, name)])) as Api;
  return Object.freeze({ ...api, events: eventsBridge(subscribe) });
}
