/**
 * Crash-safe output folders: the content is written into a hidden temporary folder beside the
 * target and renamed into place only when complete, so an interrupted or failed write (a kill, a
 * full disk) never leaves something that looks like a finished model. A failed write removes its
 * temporary folder. An existing folder that is not empty is replaced only when `force` is given.
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

/** Runs `fill(tmp)` to write the content, then puts the folder at `dir`; returns fill's result. */
export async function writeDirAtomic<T>(dir: string, force: boolean, fill: (tmp: string) => T | Promise<T>): Promise<T> {
  const target = resolve(dir);
  checkOutputFolder(target, force);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
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
