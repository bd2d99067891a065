/**
 * The per-launch key of `hft serve`: it arrives in the page's address (`?token=...`, printed by
 * `hft serve`). It is taken out of the address bar at once, so it does not linger in the browser's
 * history or in a screenshot, and kept in the tab's sessionStorage, so reloading the tab still
 * works. sessionStorage belongs to this one tab and this one origin (127.0.0.1:PORT); a new
 * `hft serve` has a new key, and the stale one is then refused like any wrong key.
 */
import { TOKEN_PARAM } from '../src-main/contract/wire.js';

const STORAGE_KEY = 'hft-serve-token';

/** What the function needs from the page, so tests can pass plain objects. */
export interface PageParts {
  location: { search: string; pathname: string; hash: string };
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void } | null;
  /** history.replaceState(null, '', url). */
  replaceUrl: (url: string) => void;
}

/** The key from the address (removing it there) or from this tab's storage; null when neither has one. */
export function takePageToken(page: PageParts): string | null {
  const params = new URLSearchParams(page.location.search);
  const fromUrl = params.get(TOKEN_PARAM);
  if (fromUrl !== null && fromUrl !== '') {
    params.delete(TOKEN_PARAM);
    const rest = params.toString();
    page.replaceUrl(`${page.location.pathname}${rest === '' ? '' : `?${rest}`}${page.location.hash}`);
    try {
      page.storage?.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // Storage can be switched off; the key then lives in memory only, until the tab reloads.
    }
    return fromUrl;
  }
  try {
    return page.storage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}
