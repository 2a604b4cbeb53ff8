// Chart rows for the loss chart: steps and validation points merged by step, smoothed at the user's setting,
// thinned for long runs; and the loss axis's range for a log scale.
import { smoothSeries } from './smoothing';
import type { EvalPoint, LossPoint } from './studio-reducer';

/** Beyond this many steps the chart draws every k-th point (always the last); the figures stay exact. */
export const MAX_DRAWN_POINTS = 1500;

export interface ChartRow {
  step: number;
  loss?: number;
  smoothed?: number;
  lr?: number;
  gradNorm?: number;
  valLoss?: number;
}

const finite = (x: number | null | undefined): number | undefined => (x !== null && x !== undefined && Number.isFinite(x) ? x : undefined);

/** Merges steps and evals into rows keyed by step, thinning long runs. Non-finite values are left out. With
 * `smoothing` (the moving average's beta, 0 = none) the smoothed curve is recomputed over every step, before
 * thinning; without it the store's running average is used. */
export function chartRows(points: LossPoint[], evals: EvalPoint[], smoothing?: number): ChartRow[] {
  const smoothed = smoothing === undefined ? points.map((p) => p.smoothed) : smoothSeries(points.map((p) => p.loss), smoothing);
  const stride = Math.max(1, Math.ceil(points.length / MAX_DRAWN_POINTS));
  const rows = new Map<number, ChartRow>();
  points.forEach((p, i) => {
    if (i % stride !== 0 && i !== points.length - 1) return;
    rows.set(p.step, { step: p.step, loss: finite(p.loss), smoothed: finite(smoothed[i]), lr: p.lr, gradNorm: finite(p.gradNorm) });
  });
  for (const e of evals) {
    if (!Number.isFinite(e.valLoss)) continue;
    rows.set(e.step, { ...(rows.get(e.step) ?? { step: e.step }), valLoss: e.valLoss });
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/** The loss axis's [min, max] over what is drawn, padded a little; for a log scale only positive values count
 * (a loss of 0 cannot be drawn on one). Null when nothing can be drawn. */
export function lossDomain(rows: ChartRow[], log: boolean): [number, number] | null {
  const xs = rows.flatMap((r) => [r.loss, r.smoothed, r.valLoss]).filter((x): x is number => x !== undefined && (!log || x > 0));
  if (xs.length === 0) return null;
  const lo = Math.min(...xs), hi = Math.max(...xs);
  if (log) return [lo / 1.1, hi * 1.1];
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}
