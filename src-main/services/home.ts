/**
 * Where the app keeps its data (DESIGN §7): `$HFT_HOME`, by default `~/.hft-studio`, holding
 * hft.db, datasets/<sha256>, runs/<id>/ and exports/. The Electron shell passes `userData` instead.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface AppPaths {
  home: string;
  db: string;
}

export function appPaths(opts: { home?: string; db?: string } = {}): AppPaths {
  const home = resolve(opts.home ?? process.env.HFT_HOME ?? join(homedir(), '.hft-studio'));
  return { home, db: resolve(opts.db ?? join(home, 'hft.db')) };
}

export const runDir = (home: string, runId: string): string => join(home, 'runs', runId);
