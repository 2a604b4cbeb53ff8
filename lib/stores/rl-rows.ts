// Rows for the live RL chart: per step the mean reward of the sampled answers, the KL to the reference, the
// sampling entropy and the mean answer length (TRL's reward, kl, entropy, completions/mean_length), and the mean
// reward on validation prompts; thinned like the loss chart for long runs.
import { MAX_DRAWN_POINTS } from './chart-rows';
import type { EvalPoint, LossPoint } from './studio-reducer';

export interface RlRow {
  step: number;
  reward?: number;
  kl?: number;
  entropy?: number;
  length?: number;
  valReward?: number;
}

const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);

/** Empty when the run reports no RL metrics. */
export function rlRows(points: LossPoint[], evals: EvalPoint[]): RlRow[] {
  const withMetrics = points.filter((p) => p.metrics?.['completions/mean_length'] !== undefined);
  const stride = Math.max(1, Math.ceil(withMetrics.length / MAX_DRAWN_POINTS));
  const rows = new Map<number, RlRow>();
  withMetrics.forEach((p, i) => {
    if (i % stride !== 0 && i !== withMetrics.length - 1) return;
    const m = p.metrics!;
    rows.set(p.step, { step: p.step, reward: finite(m.reward), kl: finite(m.kl), entropy: finite(m.entropy), length: finite(m['completions/mean_length']) });
  });
  for (const e of evals) {
    if (e.metrics?.['completions/mean_length'] === undefined) continue;
    rows.set(e.step, { ...(rows.get(e.step) ?? { step: e.step }), valReward: finite(e.metrics.reward) });
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}
