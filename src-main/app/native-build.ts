/**
 * Builds better-sqlite3 for Electron's ABI into out/native/ (DESIGN §8); `npm start` runs it
 * (`tsx src-main/app/native-build.ts`) before starting Electron. The Node build in
 * node_modules/better-sqlite3/build, which tests and the CLI load, is never touched:
 *
 * 1. copy the package, without its build/ folder, to out/native/stage/node_modules/better-sqlite3
 *    (inside the project, so prebuild-install and the package's other dependencies still resolve
 *    from the project's node_modules);
 * 2. let @electron/rebuild fetch Electron's prebuilt addon or compile it against Electron's
 *    headers, in that copy only (projectRootPath stops it walking up into the real node_modules);
 * 3. check the result really is for this Electron: a V8 addon exports
 *    `node_register_module_v<NODE_MODULE_VERSION>`, and that number must be Electron's ABI;
 * 4. move it to out/native/better_sqlite3.node and write the stamp native-binding.ts checks.
 *
 * When the stamp already matches, it does nothing, so a second `npm start` costs no time.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { betterSqlite3Version, nativeDir, NATIVE_FILE, STAMP_FILE, type NativeStamp } from './native-binding.js';

/** The options of @electron/rebuild's `rebuild` that this script uses. */
export interface RebuildOptions {
  buildPath: string;
  projectRootPath: string;
  electronVersion: string;
  platform: NodeJS.Platform;
  arch: string;
  onlyModules: string[];
  force: boolean;
  mode: 'sequential';
}

export type Rebuild = (opts: RebuildOptions) => Promise<void>;

export interface NativeBuildOptions {
  /** The project folder (package.json, node_modules). */
  root: string;
  electronVersion: string;
  abi: string;
  platform: NodeJS.Platform;
  arch: string;
  rebuild: Rebuild;
  log?: (line: string) => void;
}

/** Whether a .node file is a V8 addon for this NODE_MODULE_VERSION (the symbol NODE_MODULE_INIT exports). */
export function addonAbiMatches(file: string, abi: string): boolean {
  return readFileSync(file).includes(Buffer.from(`node_register_module_v${abi}\0`));
}

function readStamp(file: string): NativeStamp | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NativeStamp;
  } catch {
    return null;
  }
}

const sameStamp = (a: NativeStamp | null, b: NativeStamp): boolean =>
  a !== null && (Object.keys(b) as (keyof NativeStamp)[]).every((k) => a[k] === b[k]);

/** Builds (or finds up to date) the Electron addon; returns its path and whether it was built now. */
export async function buildElectronSqlite(o: NativeBuildOptions): Promise<{ file: string; built: boolean }> {
  const log = o.log ?? (() => undefined);
  const out = nativeDir(o.root);
  const file = join(out, NATIVE_FILE);
  const stampFile = join(out, STAMP_FILE);
  const source = join(o.root, 'node_modules', 'better-sqlite3');
  const stamp: NativeStamp = { electron: o.electronVersion, abi: o.abi, betterSqlite3: betterSqlite3Version(o.root), platform: o.platform, arch: o.arch };

  if (existsSync(file) && sameStamp(readStamp(stampFile), stamp) && addonAbiMatches(file, o.abi)) {
    log(`better-sqlite3 for Electron ${o.electronVersion} is up to date (${file})`);
    return { file, built: false };
  }

  const stage = join(out, 'stage');
  const staged = join(stage, 'node_modules', 'better-sqlite3');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(staged, { recursive: true });
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: 'hft-native-stage', private: true, dependencies: { 'better-sqlite3': stamp.betterSqlite3 } }, null, 2));
  // Without build/: the copy must not start out holding the Node addon, which a failed rebuild
  // would then leave behind looking like a result.
  cpSync(source, staged, { recursive: true, filter: (src) => !(dirname(src) === source && basename(src) === 'build') });

  log(`building better-sqlite3 ${stamp.betterSqlite3} for Electron ${o.electronVersion} (ABI ${o.abi}, ${o.platform}-${o.arch})`);
  try {
    await o.rebuild({
      buildPath: stage,
      projectRootPath: stage,
      electronVersion: o.electronVersion,
      platform: o.platform,
      arch: o.arch,
      onlyModules: ['better-sqlite3'],
      force: true,
      mode: 'sequential',
    });
  } catch (e) {
    throw new Error(
      `could not build better-sqlite3 for Electron ${o.electronVersion}: ${e instanceof Error ? e.message : String(e)}. ` +
        'It needs internet access: to fetch the prebuilt addon (github.com), or else Electron\'s headers (electronjs.org) to compile it with a C++ toolchain and Python.',
    );
  }

  const result = join(staged, 'build', 'Release', NATIVE_FILE);
  if (!existsSync(result)) throw new Error(`@electron/rebuild finished but made no ${result}`);
  if (!addonAbiMatches(result, o.abi)) {
    throw new Error(`${result} is not built for Electron's ABI ${o.abi} (it lacks node_register_module_v${o.abi}); not installing it`);
  }
  // The addon lands under its final name in one rename; the stamp comes last, so a crash in
  // between leaves no stamp and the next start rebuilds.
  rmSync(stampFile, { force: true });
  copyFileSync(result, `${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  writeFileSync(stampFile, JSON.stringify(stamp, null, 2) + '\n');
  rmSync(stage, { recursive: true, force: true });
  log(`better-sqlite3 for Electron written to ${file}`);
  return { file, built: true };
}

/** Electron's version and ABI from the installed `electron` package. */
export function installedElectron(root: string): { version: string; abi: string } {
  const dir = join(root, 'node_modules', 'electron');
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const abi = readFileSync(join(dir, 'abi_version'), 'utf8').trim();
  if (!/^\d+$/.test(abi)) throw new Error(`${join(dir, 'abi_version')} does not hold an ABI number (got "${abi}"); reinstall electron`);
  return { version, abi };
}

async function loadRebuild(): Promise<Rebuild> {
  // Named through a variable: @electron/rebuild is a devDependency used only here.
  const name = '@electron/rebuild';
  let mod: { rebuild?: unknown; default?: { rebuild?: unknown } };
  try {
    mod = (await import(name)) as typeof mod;
  } catch (e) {
    throw new Error(`${name} is not installed (${e instanceof Error ? e.message : String(e)}); run \`npm install\``);
  }
  // 3.x is CommonJS: its exports arrive as named exports or only under default, by Node version.
  const rebuild = mod.rebuild ?? mod.default?.rebuild;
  if (typeof rebuild !== 'function') throw new Error(`${name} has no rebuild function; is it version 3.7 or newer?`);
  return rebuild as Rebuild;
}

/**
 * npm hands its `nodedir` setting to scripts as npm_config_nodedir, and node-gyp prefers it to
 * --target/--dist-url: on a machine with `nodedir` set (a distro's Node headers), the "Electron"
 * build would silently be compiled against Node's headers. Electron's headers must be used.
 */
export function dropNodedir(env: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(env)) if (key.toLowerCase() === 'npm_config_nodedir') delete env[key];
}

async function main(): Promise<void> {
  dropNodedir(process.env);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const electron = installedElectron(root);
  await buildElectronSqlite({
    root,
    electronVersion: electron.version,
    abi: electron.abi,
    platform: process.platform,
    arch: process.arch,
    rebuild: await loadRebuild(),
    log: (line) => console.log(line),
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(`hft: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
