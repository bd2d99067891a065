/** Test helpers shared by the dataset reader tests. */
import { expect } from 'vitest';
import { DatasetError, IGNORE, type EncodedRow } from '../../../src-main/formats/datasets/index.js';

/** Ids of each contiguous run of trained labels (each label must equal its input id). */
export function trainedRuns(row: EncodedRow): number[][] {
  const runs: number[][] = [];
  let cur: number[] | null = null;
  row.labels.forEach((l, t) => {
    if (l !== IGNORE) {
      expect(l).toBe(row.inputIds[t]);
      (cur ??= []).push(l);
    } else if (cur !== null) {
      runs.push(cur);
      cur = null;
    }
  });
  if (cur !== null) runs.push(cur);
  return runs;
}

/** The DatasetError a call throws (fails the test when it throws anything else or nothing). */
export function datasetErrorOf(f: () => unknown): DatasetError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}
