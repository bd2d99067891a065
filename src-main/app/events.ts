/**
 * Pushes the contract's events (EVENT_NAMES: live run progress) from the services to the app's
 * windows, on the event channel the preload listens to. Only a page that is the app's own gets
 * them: a webContents showing anything else (which the navigation guard should never allow)
 * or already destroyed is skipped.
 */
import type { EventName, Events } from '../contract/index.js';
import { EVENT_CHANNEL } from '../preload/channel.js';

/** The part of Electron's WebContents this file uses. */
export interface EventTarget {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, ...args: unknown[]): void;
}

export type Emit = <E extends EventName>(event: E, data: Events[E]) => void;

export function windowEmitter(targets: () => Iterable<EventTarget>, isTrustedUrl: (url: string) => boolean): Emit {
  return (event, data) => {
    for (const contents of targets()) {
      if (contents.isDestroyed() || !isTrustedUrl(contents.getURL())) continue;
      contents.send(EVENT_CHANNEL, event, data);
    }
  };
}
