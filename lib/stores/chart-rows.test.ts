// Tests for the loss chart rows: merging evals by step, skipping non-finite values, thinning long runs.
import { describe, expect, it } from 'vitest';
import { chartRows, lossDomain, MAX_DRAWN_POINTS } from './chart-rows';
import type { LossPoint } from './studio-reducer';

const pt = (step: number, loss: number): LossPoint => ({ step, loss, smoothed: loss, lr: 1e-3, gradNorm: 1 });

describe('chartRows', () => {
  it('merges validation points into the step rows, and adds rows for evals without a step (step 0)', () => {
    const rows = chartRows([pt(1, 3), pt(2, 2)], [{ step: 0, valLoss: 3.5, perplexity: 33 }, { step: 2, valLoss: 2.4, perplexity: 11 }]);
    expect(rows).toEqual([
      { step: 0, valLoss: 3.5 },
      { step: 1, loss: 3, smoothed: 3, lr: 1e-3, gradNorm: 1 },
      { step: 2, loss: 2, smoothed: 2, lr: 1e-3, gradNorm: 1, valLoss: 2.4 },
    ]);
  });

  it('leaves non-finite losses out of the drawn line', () => {
    const rows = chartRows([pt(1, Number.NaN)], [{ step: 1, valLoss: Number.POSITIVE_INFINITY, perplexity: Infinity }]);
    expect(rows).toEqual([{ step: 1, lr: 1e-3, gradNorm: 1 }]);
  });

  it('thins long runs but keeps the first and last step', () => {
    const n = MAX_DRAWN_POINTS * 3 + 7;
    const rows = chartRows(Array.from({ length: n }, (_, i) => pt(i + 1, 1)), []);
    expect(rows.length).toBeLessThanOrEqual(MAX_DRAWN_POINTS + 1);
    expect(rows[0].step).toBe(1);
    expect(rows[rows.length - 1].step).toBe(n);
  });

  it('recomputes the smoothed curve at the chosen smoothing: 0 is the raw loss, 0.5 a bias-corrected average', () => {
    const pts = [pt(1, 4), pt(2, 2), pt(3, 3)];
    expect(chartRows(pts, [], 0).map((r) => r.smoothed)).toEqual([4, 2, 3]);
    // beta 0.5: biased 2, 2, 2.5 over corrections 0.5, 0.75, 0.875 -> 4, 2.6667, 2.8571
    const half = chartRows(pts, [], 0.5).map((r) => r.smoothed!);
    expect(half[0]).toBeCloseTo(4, 12);
    expect(half[1]).toBeCloseTo(2 / 0.75, 12);
    expect(half[2]).toBeCloseTo(2.5 / 0.875, 12);
  });

  it('gives the loss axis a padded range, and on a log scale only over positive values', () => {
    const rows = chartRows([pt(1, 4), pt(2, 0), pt(3, 1)], [{ step: 3, valLoss: 2, perplexity: 7 }], 0);
    expect(lossDomain(rows, false)).toEqual([-0.2, 4.2]);
    const [lo, hi] = lossDomain(rows, true)!;
    expect(lo).toBeCloseTo(1 / 1.1, 12);
    expect(hi).toBeCloseTo(4.4, 12);
    expect(lossDomain([], true)).toBeNull();
  });
});
