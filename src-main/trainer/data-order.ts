/**
 * Which examples each optimizer step sees, derived only from (seed, step).
 *
 * Example e = step × perStep + j is position e mod N of epoch ⌊e / N⌋. Without shuffling that is
 * file order, cycling (so `--no-shuffle --batch-size 1` is exactly reproducible by another
 * implementation); with shuffling each epoch is a permutation drawn from (seed, 'data', epoch).
 * Because nothing depends on earlier steps, a resumed run sees the same data as an uninterrupted one.
 */
import { rng } from '../engine/rng.js';
import type { Batch } from '../engine/train-step.js';
import type { TokenizedRow } from '../formats/datasets/tokenized.js';

export class DataOrder {
  private perms = new Map<number, number[]>();

  constructor(
    private readonly numRows: number,
    private readonly shuffle: boolean,
    private readonly seed: number,
  ) {
    if (numRows <= 0) throw new Error('the dataset holds no rows');
  }

  /** Row indices of `count` consecutive examples starting at example index `first`. */
  indices(first: number, count: number): number[] {
    const out: number[] = [];
    for (let e = first; e < first + count; e++) {
      const epoch = Math.floor(e / this.numRows);
      const pos = e % this.numRows;
      out.push(this.shuffle ? this.permutation(epoch)[pos] : pos);
    }
    return out;
  }

  private permutation(epoch: number): number[] {
    let perm = this.perms.get(epoch);
    if (!perm) {
      perm = rng(this.seed, 'data', epoch).shuffle(Array.from({ length: this.numRows }, (_, i) => i));
      this.perms.clear(); // one epoch at a time is enough; keeps memory flat on long runs
      this.perms.set(epoch, perm);
    }
    return perm;
  }
}

/** The micro-batches of optimizer step `step` (0-based): `accumSteps` batches of `batchSize` rows. */
export function stepBatches(order: DataOrder, rows: readonly TokenizedRow[], step: number, batchSize: number, accumSteps: number): Batch[] {
  const perStep = batchSize * accumSteps;
  const idx = order.indices(step * perStep, perStep);
  const micro: Batch[] = [];
  for (let i = 0; i < idx.length; i += batchSize) {
    const chunk = idx.slice(i, i + batchSize).map((k) => rows[k]);
    micro.push({ inputIds: chunk.map((r) => r.inputIds), labels: chunk.map((r) => r.labels) });
  }
  return micro;
}
