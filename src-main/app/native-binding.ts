/**
 * better-sqlite3 for Electron (DESIGN §8): the app opens its store with this build, passed as
 * better-sqlite3's `nativeBinding`, so the Node build in node_modules (which tests and the CLI
 * load) is never replaced. `npm start` makes it (native-build.ts) in out/native/, with a stamp
 * saying which Electron, ABI and better-sqlite3 it was built for; here we check the stamp before
 * loading, so a stale build fails with the fix in words rather than a dlopen error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const NATIVE_FILE = 'better_sqlite3.node';
export const STAMP_FILE = 'better_sqlite3.json';

/** What a build of the addon was made for. */
export interface NativeStamp {
  electron: string;
  /** NODE_MODULE_VERSION of that Electron (143 for Electron 40). */
  abi: string;
  betterSqlite3: string;
  platform: string;
  arch: string;
}

export const nativeDir = (root: string): string => join(root, 'out', 'native');

/** The installed better-sqlite3's version (the JS half that must match the addon). */
export function betterSqlite3Version(root: string): string {
  const file = join(root, 'node_modules', 'better-sqlite3', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const REBUILD_HINT = 'start the app with `npm start`, which builds it';

/**
 * The Electron build's path, after checking that it was made for this Electron, this platform
 * and the installed better-sqlite3. Throws in plain words when it was not.
 */
export function electronSqliteBinding(root: string, runtime: Omit<NativeStamp, 'abi' | 'betterSqlite3'>): string {
  const dir = nativeDir(root);
  const file = join(dir, NATIVE_FILE);
  const stampFile = join(dir, STAMP_FILE);
  if (!existsSync(file) || !existsSync(stampFile)) {
    throw new Error(`better-sqlite3 has not been built for Electron yet (${file} is missing); ${REBUILD_HINT}`);
  }
  let stamp: NativeStamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as NativeStamp;
  } catch (e) {
    throw new Error(`${stampFile} cannot be read (${e instanceof Error ? e.message : String(e)}); ${REBUILD_HINT}`);
  }
  const want = { ...runtime, betterSqlite3: betterSqlite3Version(root) };
  for (const key of ['electron', 'betterSqlite3', 'platform', 'arch'] as const) {
    if (stamp[key] !== want[key]) {
      throw new Error(`${file} was built for ${key} ${String(stamp[key])}, but this is ${want[key]}; ${REBUILD_HINT}`);
    }
  }
  return file;
}
