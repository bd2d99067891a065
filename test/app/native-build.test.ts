/**
 * better-sqlite3's Electron build (DESIGN §8) kept apart from the Node build: the build step
 * rebuilds a copy under out/native/ and never touches node_modules/better-sqlite3/build; the
 * result must carry Electron's ABI; the app refuses a missing or stale build with the fix in words.
 *
 * @electron/rebuild itself needs the network (Electron's headers or prebuilt addons) and cannot
 * run here, so a stand-in does its job on the copy: it writes the addon file with the symbol a V8
 * addon for that ABI exports. The ABI check is also run on the real Node build in node_modules,
 * against Node's own process.versions.modules.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { electronSqliteBinding } from '../../src-main/app/native-binding.js';
import { openStore } from '../../src-main/store/index.js';
import { addonAbiMatches, buildElectronSqlite, dropNodedir, installedElectron, type RebuildOptions } from '../../src-main/app/native-build.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A project folder with a better-sqlite3 whose Node build is for ABI 115 (Node 20). */
function project(): { root: string; nodeAddon: string } {
  const root = mkdtempSync(join(tmpdir(), 'hft-native-'));
  roots.push(root);
  const pkg = join(root, 'node_modules', 'better-sqlite3');
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
  mkdirSync(join(pkg, 'lib'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'better-sqlite3', version: '12.11.1' }));
  writeFileSync(join(pkg, 'binding.gyp'), '{}');
  writeFileSync(join(pkg, 'lib', 'index.js'), 'module.exports = {};');
  const nodeAddon = join(pkg, 'build', 'Release', 'better_sqlite3.node');
  writeFileSync(nodeAddon, Buffer.from('\x7fELF...node_register_module_v115\0...'));
  return { root, nodeAddon };
}

/** Stands in for @electron/rebuild: builds the addon for `abi` in the staged copy. */
function fakeRebuild(abi: string, seen: { opts: RebuildOptions; hadBuildDir: boolean; copied: boolean }[]) {
  return async (opts: RebuildOptions): Promise<void> => {
    const pkg = join(opts.buildPath, 'node_modules', 'better-sqlite3');
    seen.push({ opts, hadBuildDir: existsSync(join(pkg, 'build')), copied: existsSync(join(pkg, 'binding.gyp')) && existsSync(join(pkg, 'lib', 'index.js')) });
    mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
    writeFileSync(join(pkg, 'build', 'Release', 'better_sqlite3.node'), Buffer.from(`\x7fELF...node_register_module_v${abi}\0...`));
  };
}

const base = { electronVersion: '40.10.2', abi: '143', platform: 'linux' as const, arch: 'x64' };

describe('building better-sqlite3 for Electron', () => {
  it('rebuilds a copy into out/native and leaves the Node build alone', async () => {
    const { root, nodeAddon } = project();
    const before = readFileSync(nodeAddon);
    const seen: Parameters<typeof fakeRebuild>[1] = [];
    const r = await buildElectronSqlite({ ...base, root, rebuild: fakeRebuild('143', seen) });
    expect(r).toEqual({ file: join(root, 'out', 'native', 'better_sqlite3.node'), built: true });
    expect(readFileSync(nodeAddon)).toEqual(before);
    expect(addonAbiMatches(r.file, '143')).toBe(true);
    const stage = join(root, 'out', 'native', 'stage');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.opts).toEqual({
      buildPath: stage,
      projectRootPath: stage,
      electronVersion: '40.10.2',
      platform: 'linux',
      arch: 'x64',
      onlyModules: ['better-sqlite3'],
      force: true,
      mode: 'sequential',
    });
    // The copy had the package's sources but not the Node build.
    expect(seen[0]!.copied).toBe(true);
    expect(seen[0]!.hadBuildDir).toBe(false);
    expect(existsSync(stage)).toBe(false);
    expect(JSON.parse(readFileSync(join(root, 'out', 'native', 'better_sqlite3.json'), 'utf8'))).toEqual({
      electron: '40.10.2',
      abi: '143',
      betterSqlite3: '12.11.1',
      platform: 'linux',
      arch: 'x64',
    });
    // The app accepts it for the same Electron, and points better-sqlite3 at it.
    expect(electronSqliteBinding(root, { electron: '40.10.2', platform: 'linux', arch: 'x64' })).toBe(r.file);
  });

  it('does nothing the second time, and rebuilds for another Electron', async () => {
    const { root } = project();
    const seen: Parameters<typeof fakeRebuild>[1] = [];
    await buildElectronSqlite({ ...base, root, rebuild: fakeRebuild('143', seen) });
    expect((await buildElectronSqlite({ ...base, root, rebuild: fakeRebuild('143', seen) })).built).toBe(false);
    expect(seen).toHaveLength(1);
    await buildElectronSqlite({ ...base, electronVersion: '41.0.0', abi: '145', root, rebuild: fakeRebuild('145', seen) });
    expect(seen).toHaveLength(2);
    expect(() => electronSqliteBinding(root, { electron: '40.10.2', platform: 'linux', arch: 'x64' })).toThrow(/built for electron 41\.0\.0, but this is 40\.10\.2.*npm start/);
  });

  it('refuses a result for the wrong ABI and installs nothing', async () => {
    const { root } = project();
    await expect(buildElectronSqlite({ ...base, root, rebuild: fakeRebuild('115', []) })).rejects.toThrow(/not built for Electron's ABI 143/);
    expect(existsSync(join(root, 'out', 'native', 'better_sqlite3.node'))).toBe(false);
    expect(() => electronSqliteBinding(root, { electron: '40.10.2', platform: 'linux', arch: 'x64' })).toThrow(/has not been built for Electron yet.*npm start/);
  });

  it('says what it needs when the rebuild fails', async () => {
    const { root } = project();
    const offline = async (): Promise<void> => {
      throw new Error('getaddrinfo ENOTFOUND github.com');
    };
    await expect(buildElectronSqlite({ ...base, root, rebuild: offline })).rejects.toThrow(/could not build better-sqlite3 for Electron 40\.10\.2: getaddrinfo ENOTFOUND github\.com\. It needs internet access: .*github\.com.*electronjs\.org/);
  });

  it('refuses a build made for another better-sqlite3 or platform', async () => {
    const { root } = project();
    await buildElectronSqlite({ ...base, root, rebuild: fakeRebuild('143', []) });
    expect(() => electronSqliteBinding(root, { electron: '40.10.2', platform: 'darwin', arch: 'x64' })).toThrow(/built for platform linux, but this is darwin/);
    writeFileSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'), JSON.stringify({ name: 'better-sqlite3', version: '12.12.0' }));
    expect(() => electronSqliteBinding(root, { electron: '40.10.2', platform: 'linux', arch: 'x64' })).toThrow(/built for betterSqlite3 12\.11\.1, but this is 12\.12\.0/);
  });
});

it('drops npm’s nodedir, which would make node-gyp compile against Node’s headers', () => {
  // Seen on this machine: with `npm config nodedir=/usr`, @electron/rebuild's node-gyp step
  // produced node_register_module_v115 (Node 20) for "Electron 40".
  const env: NodeJS.ProcessEnv = { npm_config_nodedir: '/usr', NPM_CONFIG_NODEDIR: '/usr', npm_config_target: '40.10.2', PATH: '/bin' };
  dropNodedir(env);
  expect(env).toEqual({ npm_config_target: '40.10.2', PATH: '/bin' });
});

describe('the ABI check', () => {
  const realNodeAddon = fileURLToPath(new URL('../../node_modules/better-sqlite3/build/Release/better_sqlite3.node', import.meta.url));

  it('recognises the installed Node build as built for this Node, and not for Electron', () => {
    expect(addonAbiMatches(realNodeAddon, process.versions.modules)).toBe(true);
    expect(addonAbiMatches(realNodeAddon, installedElectron(fileURLToPath(new URL('../../', import.meta.url))).abi)).toBe(false);
    // A prefix of the ABI number is not a match (v11 must not match v115).
    expect(addonAbiMatches(realNodeAddon, process.versions.modules.slice(0, -1))).toBe(false);
  });

  it('lets the store load its addon from a file outside node_modules (nativeBinding)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hft-binding-'));
    roots.push(dir);
    // The Node build copied out plays the Electron build in out/native: it loads from there...
    const copy = join(dir, 'better_sqlite3.node');
    copyFileSync(realNodeAddon, copy);
    const store = openStore(join(dir, 'hft.db'), { nativeBinding: copy });
    expect(store.pragmas().journalMode).toBe('wal');
    store.close();
    // ...and the option is really what is loaded: a missing file is an error naming it.
    expect(() => openStore(join(dir, 'other.db'), { nativeBinding: join(dir, 'missing.node') })).toThrow(/missing\.node/);
  });

  it('reads Electron’s version and ABI from the installed package', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const e = installedElectron(root);
    const pkg = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string };
    expect(e.version).toBe(pkg.version);
    // node-abi's registry (what prebuild-install and @electron/rebuild consult) agrees on the ABI.
    const registry = JSON.parse(readFileSync(join(root, 'node_modules', 'node-abi', 'abi_registry.json'), 'utf8')) as { runtime?: string; target: string; abi: string }[];
    const major = pkg.version.split('.')[0];
    expect(registry.filter((r) => r.runtime === 'electron' && r.target.split('.')[0] === major).map((r) => r.abi)).toEqual([e.abi]);
  });
});
