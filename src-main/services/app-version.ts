/**
 * The app's version (package.json), for what exports record about where they came from. Found by
 * walking up from this file, so it works from source (src-main/) and from the build (out/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function appVersion(): string {
  if (cached != null) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'hft-studio' && typeof pkg.version === 'string') return (cached = pkg.version);
  }
  return (cached = 'unknown');
}
