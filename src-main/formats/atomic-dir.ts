/**
 * Crash-safe output folders: the content is written into a hidden temporary folder beside the
 * target and renamed into place only when complete, so an interrupted or failed write (a kill, a
 * full disk) never leaves something that looks like a finished model. A failed write removes its
 * temporary folder; one left by a killed process is removed by the next write to the same target.
 * An existing folder that is not empty is replaced only when `force` is given.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { syncDir } from './atomic-file.js';

export class OutputFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputFolderError';
  }
}

/** Throws OutputFolderError unless `dir` is absent, an empty folder, or `force` is set. */
export function checkOutputFolder(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new OutputFolderError(`${dir} exists and is a file, not a folder; choose another output folder`);
  if (readdirSync(dir).length > 0 && !force) {
    throw new OutputFolderError(`${dir} exists and is not empty; choose another output folder or pass --force to replace it`);
  }
}

const partialName = (target: string, pid: number): string => `.${basename(target)}.partial-${pid}`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, but someone else's
  }
}

/** Removes the temporary folders of earlier writes to `target` whose process no longer exists (killed mid-write). */
function removeAbandoned(target: string): void {
  const prefix = partialName(target, 0).replace(/0$/, '');
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) rmSync(join(dirname(target), name), { recursive: true, force: true });
  }
}

/** Runs `fill(tmp)` to write the content, then puts the folder at `dir`; returns fill's result. */
export async function writeDirAtomic<T>(dir: string, force: boolean, fill: (tmp: string) => T | Promise<T>): Promise<T> {
  const target = resolve(dir);
  checkOutputFolder(target, force);
  mkdirSync(dirname(target), { recursive: true });
  removeAbandoned(target);
  const tmp = join(dirname(target), partialName(target, process.pid));
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const result = await fill(tmp);
    syncDir(tmp);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    syncDir(dirname(target));
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
