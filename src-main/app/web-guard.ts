/**
 * Guards every webContents the app ever has (DESIGN §8), the main window's and any a future
 * change or a compromised page might create:
 * - navigation away from the app's own page is refused (will-navigate, will-frame-navigate,
 *   will-redirect);
 * - window.open and target=_blank never open an Electron window; an https link goes to the
 *   system browser instead (shell.openExternal), any other scheme (http, file, javascript,
 *   custom protocols) is simply dropped;
 * - <webview> tags are refused (will-attach-webview).
 */

/** What a navigation event carries (Electron passes an Event with `url`). */
export interface NavigationEvent {
  readonly url: string;
  preventDefault(): void;
}

/** The part of Electron's WebContents this file uses. */
export interface GuardedContents {
  on(event: 'will-navigate' | 'will-frame-navigate' | 'will-redirect', listener: (event: NavigationEvent) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface GuardOptions {
  /** Whether a URL is the app's own page (the only navigation target allowed). */
  isTrustedUrl: (url: string) => boolean;
  /** Opens a URL in the system browser (Electron's shell.openExternal). */
  openExternal: (url: string) => Promise<void>;
}

/** Only https links leave the app, and only to the system browser. */
export function isExternalLink(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

const guarded = new WeakSet<object>();

export function guardWebContents(contents: GuardedContents, opts: GuardOptions): void {
  if (guarded.has(contents)) return; // the factory and web-contents-created both call this
  guarded.add(contents);

  const openOutside = (url: string): void => {
    if (isExternalLink(url)) opts.openExternal(url).catch(() => undefined); // no browser: nothing to do
  };
  const trusted = (url: string): boolean => {
    try {
      return opts.isTrustedUrl(url) === true;
    } catch {
      return false; // a URL the check cannot read is not ours
    }
  };
  // Electron emits will-navigate for the main frame first; only when it passes does
  // will-frame-navigate follow (and it alone fires for subframes). So a refused link click opens
  // outside at most once, and a subframe never opens anything.
  contents.on('will-navigate', (event) => {
    if (trusted(event.url)) return;
    event.preventDefault();
    openOutside(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!trusted(event.url)) event.preventDefault();
  });
  // A redirect is never a user's click: refuse it without opening anything.
  contents.on('will-redirect', (event) => {
    if (!trusted(event.url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
