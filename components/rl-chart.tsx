'use client';
// The live RL chart of a GRPO, RLOO or PPO run: mean reward of the sampled answers (and on validation prompts),
// KL to the reference and sampling entropy (left axis), mean answer length in tokens (right axis). Hidden for
// other runs.
import { useMemo } from 'react';
import { rlRows } from '@/lib/stores/rl-rows';
import { fmtMetric as fmt, MetricChart, type MetricLine } from './metric-chart';
import { useStudio } from './studio-provider';

const LINES: MetricLine[] = [
  { key: 'reward', name: 'mean reward', axis: 'left', stroke: 'var(--chart-loss)', width: 2 },
  { key: 'valReward', name: 'validation reward', axis: 'left', stroke: 'var(--chart-val)', width: 1, dash: '4 3', dots: true },
  { key: 'kl', name: 'KL', axis: 'left', stroke: 'var(--chart-lr)' },
  { key: 'entropy', name: 'entropy', axis: 'left', stroke: 'var(--chart-text)', width: 1, dash: '2 2' },
  { key: 'length', name: 'answer length', axis: 'right', stroke: 'var(--chart-val)', width: 1 },
];

export function RlChart() {
  const points = useStudio((s) => s.run.points);
  const evals = useStudio((s) => s.run.evals);
  const totalSteps = useStudio((s) => s.run.totalSteps);
  const rows = useMemo(() => rlRows(points, evals), [points, evals]);
  if (rows.length === 0) return null;
  const last = rows[rows.length - 1];
  return (
    <MetricChart
      title="Reinforcement learning" testId="rl-chart" rows={rows} totalSteps={totalSteps} lines={LINES} right={{ domain: [0, 'auto'], integer: true }}
      data={{ 'last-reward': last.reward ?? '', 'last-kl': last.kl ?? '' }}
      label={`RL over ${rows.length} steps: mean reward ${fmt(last.reward)}, KL ${fmt(last.kl)}, entropy ${fmt(last.entropy)}, answer length ${fmt(last.length)} tokens.`}
    />
  );
}
