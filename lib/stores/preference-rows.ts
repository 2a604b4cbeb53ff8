// Rows for the live preference chart: per step the mean rewards of chosen and rejected answers, their margin and
// the share of pairs ranked right (TRL's rewards/* metrics), and the same on validation pairs; thinned like the
// loss chart for long runs.
import { MAX_DRAWN_POINTS } from './chart-rows';
import type { EvalPoint, LossPoint } from './studio-reducer';

export interface PreferenceRow {
  step: number;
  chosen?: number;
  rejected?: number;
  margin?: number;
  accuracy?: number;
  valAccuracy?: number;
  valMargin?: number;
}

const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);

/** Empty when the run reports no preference metrics (causal LM). */
export function preferenceRows(points: LossPoint[], evals: EvalPoint[]): PreferenceRow[] {
  const withMetrics = points.filter((p) => p.metrics?.['rewards/chosen'] !== undefined || p.metrics?.['rewards/margins'] !== undefined);
  const stride = Math.max(1, Math.ceil(withMetrics.length / MAX_DRAWN_POINTS));
  const rows = new Map<number, PreferenceRow>();
  withMetrics.forEach((p, i) => {
    if (i % stride !== 0 && i !== withMetrics.length - 1) return;
    const m = p.metrics!;
    rows.set(p.step, {
      step: p.step, chosen: finite(m['rewards/chosen']), rejected: finite(m['rewards/rejected']),
      margin: finite(m['rewards/margins']), accuracy: finite(m['rewards/accuracies']),
    });
  });
  for (const e of evals) {
    if (e.metrics?.['rewards/accuracies'] === undefined && e.metrics?.['rewards/margins'] === undefined) continue; // RL evals report rewards, not pairs
    rows.set(e.step, { ...(rows.get(e.step) ?? { step: e.step }), valAccuracy: finite(e.metrics['rewards/accuracies']), valMargin: finite(e.metrics['rewards/margins']) });
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}
