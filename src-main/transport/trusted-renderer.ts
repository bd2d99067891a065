/**
 * Which page URLs are the app's own renderer, for the IPC gate: the built index.html loaded from
 * disk (a file:// URL naming exactly that file), or, while developing, a page on the dev server's
 * origin (electron-vite sets ELECTRON_RENDERER_URL). Anything else (another file, another origin,
 * a data: or about: page) is not ours. The query and the #fragment do not matter: the renderer
 * routes with the fragment.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TrustedRenderer {
  /** Absolute path of the built renderer's index.html. */
  indexFile: string;
  /** The dev server URL (http://localhost:5173/ or similar), only in development. */
  devServerUrl?: string;
}

/** Returns a check for IPC sender URLs; it never throws (a URL it cannot read is not trusted). */
export function rendererUrlCheck(trusted: TrustedRenderer): (url: string) => boolean {
  const indexFile = resolve(trusted.indexFile);
  let devOrigin: string | null = null;
  if (trusted.devServerUrl !== undefined && trusted.devServerUrl !== '') {
    const dev = new URL(trusted.devServerUrl);
    // Only a local http dev server: an https or remote origin here would be a misconfiguration.
    if (dev.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname)) {
      throw new Error(`the renderer dev server must be on http://localhost, got ${trusted.devServerUrl}`);
    }
    devOrigin = dev.origin;
  }
  return (url) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol === 'file:') {
      // A file URL with a host (file://server/share) is a network path, never our build.
      if (u.host !== '') return false;
      try {
        // The URL parser has already folded ./ and ../ (also as %2e); fileURLToPath decodes the
        // rest and refuses an encoded slash.
        return resolve(fileURLToPath(new URL(u.pathname, 'file://'))) === indexFile;
      } catch {
        return false;
      }
    }
    return devOrigin !== null && u.origin === devOrigin;
  };
}
