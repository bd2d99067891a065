/**
 * The contract over `hft serve`'s WebSocket (wire format: src-main/contract/wire.ts), for
 * the page when it runs in an ordinary browser rather than in the Electron window.
 *
 * - One socket, opened on the first call and again on the first call after it was lost.
 * - Each call gets a fresh id; replies may arrive in any order and are matched by id.
 * - Every failure becomes an Error whose message a person can act on: the server's own words for
 *   a refused or failed call, and what to do when the server cannot be reached or goes away.
 *
 * The WebSocket is made by a factory so Node tests can pass the `ws` package's client.
 */
import type { CallMessage, EventMessage, ServerMessage } from '../src-main/contract/wire.js';

/**
 * The part of the browser's WebSocket this client uses (the `ws` package's client has it too).
 * The handlers take `never` so that both the DOM's and ws's event types fit; the client's own
 * handlers declare the one field they read.
 */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
  onmessage: ((ev: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

/** WebSocket.OPEN, spelled out: Node test clients do not put it on a global. */
const OPEN = 1;

/** unreachable: a connection could not be opened at all; lost: an open one closed. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'unreachable' | 'lost';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class WsClient {
  private socket: SocketLike | null = null;
  private opening: Promise<SocketLike> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly eventListeners = new Set<(event: EventMessage) => void>();

  /**
   * url: ws://HOST/api?token=TOKEN. where: how to name the server in messages (its host:port).
   */
  constructor(
    private readonly url: string,
    private readonly where: string,
    private readonly makeSocket: SocketFactory,
  ) {}

  /** Calls `method` with `params`; resolves with the result or rejects with an Error in plain words. */
  async call(method: string, params: unknown): Promise<unknown> {
    const socket = await this.connect();
    const id = this.nextId++;
    const message: CallMessage = { id, method, params };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        socket.send(JSON.stringify(message));
      } catch {
        this.pending.delete(id);
        reject(new Error(this.lostText()));
      }
    });
  }

  /** Called with each ConnectionState as the connection changes; returns an unsubscribe. */
  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Called with every event the server pushes ({event, data}); returns an unsubscribe. */
  onEvent(listener: (event: EventMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Closes the socket; calls still waiting are rejected. */
  close(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'closed by the page');
    this.failPending(this.lostText());
  }

  private setState(state: ConnectionState): void {
    for (const listener of this.stateListeners) listener(state);
  }

  private connect(): Promise<SocketLike> {
    if (this.socket !== null && this.socket.readyState === OPEN) return Promise.resolve(this.socket);
    this.opening ??= new Promise<SocketLike>((resolve, reject) => {
      this.setState('connecting');
      let socket: SocketLike;
      try {
        socket = this.makeSocket(this.url);
      } catch {
        this.opening = null;
        this.setState('unreachable');
        reject(new Error(this.unreachableText()));
        return;
      }
      let opened = false;
      socket.onopen = () => {
        opened = true;
        this.socket = socket;
        this.opening = null;
        this.setState('open');
        resolve(socket);
      };
      socket.onmessage = (ev: { data: unknown }) => this.receive(ev.data);
      // A refused handshake (wrong token, server gone) shows up as error then close, with no
      // reason the page may read; close alone covers both cases.
      socket.onerror = () => undefined;
      socket.onclose = () => {
        if (!opened) {
          this.opening = null;
          this.setState('unreachable');
          reject(new Error(this.unreachableText()));
          return;
        }
        // A socket close() already let go of: its calls were failed then, and a newer socket may
        // be carrying calls of its own.
        if (this.socket !== socket) return;
        this.socket = null;
        this.setState('lost');
        this.failPending(this.lostText());
      };
    });
    return this.opening;
  }

  private receive(data: unknown): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(String(data)) as ServerMessage;
    } catch {
      return; // The server only sends JSON; anything else is not ours to answer.
    }
    if ('event' in msg) {
      for (const listener of this.eventListeners) listener(msg);
      return;
    }
    // id null: the server could not read one of our messages at all; we never send such messages,
    // and there is no call to match it to.
    if (msg.id === null || typeof msg.id !== 'number') return;
    const waiting = this.pending.get(msg.id);
    if (waiting === undefined) return;
    this.pending.delete(msg.id);
    if (msg.ok) waiting.resolve(msg.value);
    else waiting.reject(new Error(msg.error));
  }

  private failPending(text: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(new Error(text));
  }

  private unreachableText(): string {
    return `Cannot reach HFT Studio at ${this.where}. Check that hft serve is still running; if you started it again, open the new address it printed (the old key no longer works).`;
  }

  private lostText(): string {
    return `The connection to HFT Studio at ${this.where} was lost, so the last request may not have finished. Check that hft serve is still running, then try again.`;
  }
}
