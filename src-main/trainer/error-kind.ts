/**
 * Sorts a trainer failure into what the user can do about it: out of memory (smaller batch or
 * sequences), bad data, an unusable model folder, or a bug of ours.
 */
import type { FromTrainer } from './protocol.js';

type Kind = Extract<FromTrainer, { type: 'error' }>['kind'];

const OUT_OF_MEMORY = /out of memory|\bOOM\b|Cannot enlarge memory|Array buffer allocation failed|Aborted\(|failed to allocate/i;
const DATA_ERRORS = new Set(['DatasetError']);
const MODEL_ERRORS = new Set(['ModelLoadError', 'ConfigError', 'TokenizerError', 'SafetensorsError', 'CheckpointError']);

export function isOutOfMemory(message: string): boolean {
  return OUT_OF_MEMORY.test(message);
}

export function errorKind(e: unknown): Kind {
  const name = e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  if (isOutOfMemory(message)) return 'out-of-memory';
  if (DATA_ERRORS.has(name)) return 'data';
  if (MODEL_ERRORS.has(name)) return 'model';
  return 'internal';
}
