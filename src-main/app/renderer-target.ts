/**
 * Where the window's page comes from, and which URLs count as the app's own for navigation and
 * for the IPC gate: the built renderer (out/renderer/index.html, beside out/main/), or, while
 * developing with `electron-vite dev`, the dev server electron-vite names in
 * ELECTRON_RENDERER_URL. A packaged app ignores that variable, so nobody can point an installed
 * app at another page by setting it.
 */
import { join } from 'node:path';
import { rendererUrlCheck } from '../transport/trusted-renderer.js';

export type RendererTarget = { kind: 'url'; url: string } | { kind: 'file'; file: string };

export interface RendererPlace {
  target: RendererTarget;
  /** True for the page above (any #route on it), false for everything else. */
  isTrustedUrl: (url: string) => boolean;
}

export function rendererPlace(opts: {
  /** The folder of the built main process (out/main). */
  mainDir: string;
  /** Electron's app.isPackaged. */
  packaged: boolean;
  /** process.env.ELECTRON_RENDERER_URL. */
  devServerUrl: string | undefined;
}): RendererPlace {
  const indexFile = join(opts.mainDir, '..', 'renderer', 'index.html');
  const devServerUrl = opts.packaged || opts.devServerUrl === '' ? undefined : opts.devServerUrl;
  return {
    target: devServerUrl === undefined ? { kind: 'file', file: indexFile } : { kind: 'url', url: devServerUrl },
    isTrustedUrl: rendererUrlCheck({ indexFile, devServerUrl }),
  };
}
