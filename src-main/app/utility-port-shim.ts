/**
 * Makes an Electron utility process look like a child_process.fork child to the trainer
 * (trainer/main.ts), so the trainer keeps one code path: it talks through process.send,
 * process.connected and process.on('message'), which a utility process lacks; it has
 * process.parentPort instead. After this shim:
 * - process.send(m, ..., callback) posts m on parentPort and calls back on the next turn;
 * - process.connected is true (the port lives as long as the process: when the app's main
 *   process goes, Electron ends its utility processes);
 * - once `listen()` is called, each parentPort message event arrives as
 *   process.emit('message', data). Call it after the trainer has registered its
 *   process.on('message') listener: parentPort queues messages until it has a listener of its
 *   own, so nothing sent before that is lost (a listener that only re-emits on a process nobody
 *   listens to yet would drop the first message, the one that says what to do).
 */

/** The part of Electron's ParentPort the shim uses. */
export interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/** The part of the process object the shim replaces. */
export interface ForkLikeProcess {
  send?: (message: unknown, ...rest: unknown[]) => boolean;
  readonly connected?: boolean;
  emit(event: 'message', message: unknown): boolean;
}

export function adaptParentPort(proc: ForkLikeProcess, port: ParentPortLike): { listen(): void } {
  Object.defineProperty(proc, 'connected', { value: true, configurable: true, enumerable: true });
  proc.send = (message: unknown, ...rest: unknown[]): boolean => {
    port.postMessage(message);
    // Node's signature is send(message, sendHandle?, options?, callback?): the callback is the last function.
    const last = rest[rest.length - 1];
    if (typeof last === 'function') setImmediate(() => (last as (error: Error | null) => void)(null));
    return true;
  };
  let listening = false;
  return {
    listen: () => {
      if (listening) return;
      listening = true;
      port.on('message', (event) => proc.emit('message', event.data));
    },
  };
}
