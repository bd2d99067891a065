/** Test helper: the SafetensorsError code a call throws, or 'ok' when it throws nothing. */
import { expect } from 'vitest';
import { SafetensorsError } from '../../src-main/formats/safetensors/index.js';

export function errorCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return (e as SafetensorsError).code;
  }
  return 'ok';
}
