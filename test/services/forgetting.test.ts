/**
 * R, OP and BWT as PAPER.md defines them, on hand-computed cases.
 */
import { describe, expect, it } from 'vitest';
import { forgettingMatrix, type EvalCell } from '../../src-main/services/forgetting.js';

const cell = (afterStage: number, task: number, accuracy: number | null, loss = 1): EvalCell => ({ afterStage, task, accuracy, loss });

describe('forgettingMatrix', () => {
  it('computes OP over the last row and BWT against the diagonal', () => {
    const cells = [
      cell(-1, 0, 0.1), cell(-1, 1, 0), cell(-1, 2, 0.2), cell(-1, -1, 1),
      cell(0, 0, 0.9), cell(0, -1, 1),
      cell(1, 0, 0.6), cell(1, 1, 0.8), cell(1, -1, 0.75),
      cell(2, 0, 0.5), cell(2, 1, 0.7), cell(2, 2, 1.0), cell(2, -1, 0.5),
    ];
    const f = forgettingMatrix(cells, 3);
    expect(f.accuracy).toEqual([[0.9, null, null], [0.6, 0.8, null], [0.5, 0.7, 1.0]]);
    expect(f.probe).toEqual([1, 0.75, 0.5]);
    expect(f.base).toEqual({ accuracy: [0.1, 0, 0.2], probe: 1 }); // kept apart from R
    expect(f.op).toBeCloseTo((0.5 + 0.7 + 1.0) / 3, 12);
    expect(f.bwt).toBeCloseTo((0.5 - 0.9 + (0.7 - 0.8)) / 2, 12);
  });

  it('leaves tasks without an accuracy out, and has no BWT for one task', () => {
    const f = forgettingMatrix([cell(0, 0, 0.4), cell(1, 0, null), cell(1, 1, 0.2)], 2);
    expect(f.op).toBeCloseTo(0.2, 12);
    expect(f.bwt).toBeNull();
    expect(forgettingMatrix([cell(0, 0, 0.3)], 1)).toMatchObject({ op: 0.3, bwt: null });
  });

  it('has no OP before the last stage is evaluated', () => {
    const f = forgettingMatrix([cell(0, 0, 0.4)], 2);
    expect(f.op).toBeNull();
    expect(f.bwt).toBeNull();
  });
});
