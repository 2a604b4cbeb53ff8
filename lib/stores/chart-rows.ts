// Chart rows for the loss chart: steps and validation points merged by step, thinned for long runs.
import type { EvalPoint, LossPoint } from './studio-reducer';

/** Beyond this many steps the chart draws every k-th point (always the last); the figures stay exact. */
export const MAX_DRAWN_POINTS = 1500;

export interface ChartRow {
  step: number;
  loss?: number;
  smoothed?: number;
  lr?: number;
  valLoss?: number;
}

/** Merges steps and evals into rows keyed by step, thinning long runs. Non-finite losses are left out. */
export function chartRows(points: LossPoint[], evals: EvalPoint[]): ChartRow[] {
  const stride = Math.max(1, Math.ceil(points.length / MAX_DRAWN_POINTS));
  const rows = new Map<number, ChartRow>();
  points.forEach((p, i) => {
    if (i % stride !== 0 && i !== points.length - 1) return;
    rows.set(p.step, {
      step: p.step,
      loss: Number.isFinite(p.loss) ? p.loss : undefined,
      smoothed: p.smoothed !== null && Number.isFinite(p.smoothed) ? p.smoothed : undefined,
      lr: p.lr,
    });
  });
  for (const e of evals) {
    if (!Number.isFinite(e.valLoss)) continue;
    rows.set(e.step, { ...(rows.get(e.step) ?? { step: e.step }), valLoss: e.valLoss });
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}
