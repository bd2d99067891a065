/**
 * The one error type of the GGUF writer, and the translation of file-system failures into plain
 * words that name the file ("the disk is full", "the folder ... does not exist").
 */
import { dirname } from 'node:path';

export class GgufError extends Error {
  constructor(message: string) {
    super(message.replace(/[\r\n\u2028\u2029]+/g, ' '));
    this.name = 'GgufError';
  }
}

/** A Node fs error (it carries `syscall`), as opposed to one of ours or a bug. */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Words for a failed write of `path`, by errno code; the code itself is kept in brackets. */
export function writeFailure(path: string, e: NodeJS.ErrnoException): GgufError {
  const code = e.code ?? 'unknown error';
  const why: Record<string, string> = {
    ENOSPC: 'the disk is full; free some space and export again',
    EDQUOT: 'the disk quota is used up; free some space and export again',
    ENOENT: `the folder ${dirname(path)} does not exist; create it first`,
    ENOTDIR: `${dirname(path)} is not a folder`,
    EACCES: `permission denied writing in ${dirname(path)}`,
    EPERM: `permission denied writing in ${dirname(path)}`,
    EROFS: 'the disk is read-only',
    EISDIR: 'a folder of that name is in the way',
    EFBIG: 'the file is larger than this file system allows',
  };
  return new GgufError(`cannot write ${path}: ${why[code] ?? e.message} (${code}); nothing was written`);
}
