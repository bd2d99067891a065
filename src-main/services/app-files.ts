/**
 * Where the app's own files are: its root folder (package.json), version, and the bundled sample
 * model. Found by walking up from this file, so it works from source (src-main/), from the build
 * (out/main/) and under Electron alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | null = null;

function find(): { root: string; version: string } {
  if (cached != null) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'hft-studio') return (cached = { root: dir, version: typeof pkg.version === 'string' ? pkg.version : 'unknown' });
  }
  throw new Error('cannot find the HFT Studio folder (its package.json) above ' + fileURLToPath(import.meta.url));
}

export const appRoot = (): string => find().root;
export const appVersion = (): string => find().version;
/** The bundled sample model (resources/sample). */
export const sampleModelDir = (): string => join(appRoot(), 'resources', 'sample');
